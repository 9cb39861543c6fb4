"""Rules: validated by the engine's own parser before anything is stored, so a bad rule never lands."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.automation import repository
from warpware.automation.models import Rule
from warpware.errors import NotFound, Unprocessable, validation_detail
from warpware.kit.clock import utcnow
from warpware.kit.ids import parse_uuid
from warpware.orders.schemas import OrderCreate
from warpware.rules import (
    STAGE_ORDER,
    RuleDefinition,
    RuleValidationError,
    build_order_facts,
    evaluate,
    parse_rule,
    parse_rules,
    yaml_rule_items,
)

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


def in_evaluation_order(session: Session, principal: Principal) -> list[Rule]:
    """Every rule of the account as the engine runs them: stage by stage, then priority, then name."""
    stage_rank = {stage.value: i for i, stage in enumerate(STAGE_ORDER)}
    rules = repository.for_account(session, principal.account_id)
    return sorted(rules, key=lambda r: (stage_rank.get(r.stage, len(stage_rank)), r.priority, r.name))


def move(session: Session, principal: Principal, rule_id: str, *, up: bool) -> Rule:
    """Swap a rule with its neighbour in its stage. Priorities are renumbered 10, 20, 30 ... within the
    stage first, so rules that shared a priority (and ran by name) get distinct ones."""
    rule = get(session, principal, rule_id)
    stage = [r for r in in_evaluation_order(session, principal) if r.stage == rule.stage]
    index = stage.index(rule)
    other = index - 1 if up else index + 1
    if 0 <= other < len(stage):
        stage[index], stage[other] = stage[other], stage[index]
    now = utcnow()
    for position, item in enumerate(stage, start=1):
        if item.priority != position * 10:
            item.priority = position * 10
            item.updated_at = now
    return rule


def dry_run(
    session: Session,
    principal: Principal,
    order: dict[str, Any],
    *,
    rules: list[dict[str, Any]] | None = None,
    new_customer: bool | None = None,
) -> dict[str, Any]:
    """Evaluate rules (the account's enabled ones, or `rules`) against an order payload. Stores nothing."""
    try:
        parsed = OrderCreate.model_validate(order)
    except ValidationError as exc:
        detail, fields = validation_detail(list(exc.errors()))
        raise Unprocessable(f"order: {detail}", extra={"errors": fields}) from None
    if rules is not None:
        try:
            definitions = parse_rules(rules)
        except RuleValidationError as exc:
            raise Unprocessable(f"Invalid rules: {exc}") from None
    else:
        definitions = definitions_for(session, principal.account_id)
    facts = build_order_facts(
        line_items=[li.model_dump() for li in parsed.line_items],
        now=utcnow(),
        shipping_address=parsed.shipping_address.model_dump(),
        tags=parsed.tags,
        source=parsed.source,
        customer_email=parsed.customer_email,
        customer_name=parsed.customer_name,
        metadata=parsed.metadata,
        home_country=principal.home_country,
        is_new_customer=new_customer,
    )
    evaluation = evaluate(definitions, facts)
    decision = evaluation.decision
    matches = [
        {
            "rule_id": t.rule.id,
            "rule_name": t.rule.name,
            "stage": stage.stage.value,
            "actions": [{"detail": a.detail, "applied": a.applied, "reason": a.reason} for a in t.actions],
        }
        for stage in evaluation.stages
        for t in stage.rules
        if t.matched
    ]
    return {
        "outcome": decision.outcome.value,
        "matches": matches,
        "hold": {
            "reason": decision.hold.reason,
            "rule": decision.hold.rule.name,
            "hold_until": decision.hold.hold_until,
        }
        if decision.hold
        else None,
        "route": {"connection_id": decision.route.connection_id, "rule": decision.route.rule.name}
        if decision.route
        else None,
        "blocked": {"reason": decision.blocked.reason, "rule": decision.blocked.rule.name}
        if decision.blocked
        else None,
        "cancelled": {"reason": decision.cancelled.reason} if decision.cancelled else None,
        "tags_to_add": list(decision.tags_to_add),
        "service_level": decision.service_level,
        "carrier": decision.carrier,
        "metadata": dict(decision.metadata),
        "messages": list(evaluation.messages()),
        "log": evaluation.log(),
    }
