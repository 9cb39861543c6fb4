"""Partner API /rules: CRUD, YAML import and a dry run that stores nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import Response

from warpware.accounts.auth import require_read, require_write
from warpware.accounts.domain import Principal
from warpware.automation import repository, service
from warpware.db import Database
from warpware.errors import Unprocessable, validation_detail
from warpware.kit.clock import utcnow
from warpware.kit.jsonio import envelope
from warpware.orders.schemas import OrderCreate
from warpware.rules import RuleValidationError, build_order_facts, evaluate, parse_rules

router = APIRouter(tags=["rules"])
RULE_SCHEMA = {
    "type": "object",
    "required": ["name", "stage", "actions"],
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "stage": {"type": "string", "enum": ["territory", "automation", "hold", "preorder", "routing"]},
        "priority": {"type": "integer"},
        "enabled": {"type": "boolean"},
        "stop_on_match": {"type": "boolean"},
        "conditions": {"type": "object"},
        "actions": {"type": "array", "items": {"type": "object"}},
    },
}


def _db(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@router.get("/rules", summary="List the account's rules by stage and priority")
def list_rules(request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        rules = repository.for_account(session, principal.account_id)
    return envelope([service.rule_read(r) for r in rules], {"total": len(rules)})


@router.post(
    "/rules",
    status_code=201,
    summary="Create a rule (validated; a bad rule is never stored)",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": RULE_SCHEMA}}}},
)
def create_rule(
    request: Request, body: dict[str, Any] = Body(...), principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        rule = service.create(session, principal, body)
    return envelope(service.rule_read(rule), status_code=201)


@router.get("/rules/{rule_id}", summary="Get a rule")
def get_rule(rule_id: str, request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        rule = service.get(session, principal, rule_id)
    return envelope(service.rule_read(rule))


@router.patch("/rules/{rule_id}", summary="Change a rule (the result is validated whole)")
def update_rule(
    rule_id: str,
    request: Request,
    body: dict[str, Any] = Body(...),
    principal: Principal = Depends(require_write),
) -> Response:
    with _db(request).writing() as session:
        rule = service.update(session, principal, rule_id, body)
    return envelope(service.rule_read(rule))


@router.delete("/rules/{rule_id}", summary="Delete a rule")
def delete_rule(rule_id: str, request: Request, principal: Principal = Depends(require_write)) -> Response:
    with _db(request).writing() as session:
        service.delete(session, principal, rule_id)
    return envelope({"id": rule_id, "deleted": True})


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    yaml: str


@router.post("/rules/import", status_code=201, summary="Load rules from YAML: all of them or none")
def import_rules(
    body: ImportRequest, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        rules = service.import_yaml(session, principal, body.yaml)
    return envelope([service.rule_read(r) for r in rules], {"created": len(rules)}, status_code=201)


class DryRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order: dict[str, Any]
    rules: list[dict[str, Any]] | None = None
    new_customer: bool | None = None


@router.post("/rules/dry-run", summary="Evaluate rules against an order payload without storing anything")
def dry_run(body: DryRunRequest, request: Request, principal: Principal = Depends(require_read)) -> Response:
    try:
        order = OrderCreate.model_validate(body.order)
    except ValidationError as exc:
        detail, fields = validation_detail(list(exc.errors()))
        raise Unprocessable(f"order: {detail}", extra={"errors": fields}) from None
    if body.rules is not None:
        try:
            definitions = parse_rules(body.rules)
        except RuleValidationError as exc:
            raise Unprocessable(f"Invalid rules: {exc}") from None
    else:
        with _db(request).reading() as session:
            definitions = service.definitions_for(session, principal.account_id)
    facts = build_order_facts(
        line_items=[li.model_dump() for li in order.line_items],
        now=utcnow(),
        shipping_address=order.shipping_address.model_dump(),
        tags=order.tags,
        source=order.source,
        customer_email=order.customer_email,
        customer_name=order.customer_name,
        metadata=order.metadata,
        home_country=principal.home_country,
        is_new_customer=body.new_customer,
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
    return envelope(
        {
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
        },
        {"stored": False},
    )
