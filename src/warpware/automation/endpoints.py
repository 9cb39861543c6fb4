"""Partner API /rules: CRUD, YAML import and a dry run that stores nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from warpware.accounts.auth import require_read, require_write
from warpware.accounts.domain import Principal
from warpware.automation import repository, service
from warpware.db import Database
from warpware.kit.jsonio import envelope

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
    with _db(request).reading() as session:
        result = service.dry_run(
            session, principal, body.order, rules=body.rules, new_customer=body.new_customer
        )
    return envelope(result, {"stored": False})
