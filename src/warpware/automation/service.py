"""Rules: validated by the engine's own parser before anything is stored, so a bad rule never lands."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.automation import repository
from warpware.automation.models import Rule
from warpware.errors import NotFound, Unprocessable
from warpware.kit.clock import utcnow
from warpware.kit.ids import parse_uuid
from warpware.rules import RuleDefinition, RuleValidationError, parse_rule, parse_rules, yaml_rule_items

RULE_FIELDS = (
    "name",
    "description",
    "stage",
    "priority",
    "enabled",
    "stop_on_match",
    "conditions",
    "actions",
)


def _definition(data: dict[str, Any]) -> RuleDefinition:
    try:
        return parse_rule(data)
    except RuleValidationError as exc:
        raise Unprocessable(
            f"Invalid rule: {exc}",
            extra={"errors": [{"field": e.path or "rule", "message": e.message} for e in exc.errors]},
        ) from None


def rule_as_data(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(rule.id),
        "name": rule.name,
        "description": rule.description,
        "stage": rule.stage,
        "priority": rule.priority,
        "enabled": rule.enabled,
        "stop_on_match": rule.stop_on_match,
        "actions": rule.actions,
    }
    if rule.conditions is not None:
        data["conditions"] = rule.conditions
    return data


def rule_read(rule: Rule) -> dict[str, Any]:
    return {**rule_as_data(rule), "created_at": rule.created_at, "updated_at": rule.updated_at}


def definitions_for(session: Session, account_id: uuid.UUID) -> list[RuleDefinition]:
    """The account's enabled rules as the engine takes them (stored rules were validated on the way in)."""
    return [
        parse_rule(rule_as_data(r)) for r in repository.for_account(session, account_id, enabled_only=True)
    ]


def create(session: Session, principal: Principal, data: dict[str, Any]) -> Rule:
    if "id" in data:
        raise Unprocessable("id is assigned by the server; leave it out")
    definition = _definition(data)
    now = utcnow()
    rule = Rule(
        account_id=principal.account_id,
        name=definition.name,
        description=definition.description,
        stage=definition.stage.value,
        priority=definition.priority,
        enabled=definition.enabled,
        stop_on_match=definition.stop_on_match,
        conditions=data.get("conditions"),
        actions=list(data.get("actions") or []),
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    session.flush()
    return rule


def get(session: Session, principal: Principal, rule_id: str) -> Rule:
    parsed = parse_uuid(rule_id)
    rule = repository.get(session, principal.account_id, parsed) if parsed else None
    if rule is None:
        raise NotFound(f"Rule {rule_id} not found")
    return rule


def update(session: Session, principal: Principal, rule_id: str, changes: dict[str, Any]) -> Rule:
    rule = get(session, principal, rule_id)
    unknown = sorted(set(changes) - set(RULE_FIELDS))
    if unknown:
        raise Unprocessable(f"Unknown rule field(s): {', '.join(unknown)}")
    merged = {**rule_as_data(rule), **changes}
    definition = _definition(merged)
    rule.name, rule.description = definition.name, definition.description
    rule.stage, rule.priority = definition.stage.value, definition.priority
    rule.enabled, rule.stop_on_match = definition.enabled, definition.stop_on_match
    rule.conditions = merged.get("conditions")
    rule.actions = list(merged.get("actions") or [])
    rule.updated_at = utcnow()
    return rule


def delete(session: Session, principal: Principal, rule_id: str) -> None:
    session.delete(get(session, principal, rule_id))


def import_yaml(session: Session, principal: Principal, text: str) -> list[Rule]:
    """Load every rule of a YAML file, or none of them (the caller's transaction rolls back)."""
    try:
        items = yaml_rule_items(text)
        parse_rules(items)
    except RuleValidationError as exc:
        raise Unprocessable(f"Invalid rules file: {exc}") from None
    return [create(session, principal, {k: v for k, v in item.items() if k != "id"}) for item in items]
