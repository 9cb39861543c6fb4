"""Rules: the account's automation rules in evaluation order; create, edit, reorder, switch on and off,
and "Try a rule" (the engine's dry run against a pasted order; stores nothing).

Conditions and actions are edited as YAML (JSON is YAML too) and validated by the engine's own parser,
whose errors name the field they are about; the form shows them next to the input they concern.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from warpware.automation import service as rules_service
from warpware.automation.models import Rule
from warpware.dashboard.security import Acting, acting, csrf_form, current_user, database, require_permission
from warpware.dashboard.templating import redirect, render
from warpware.errors import Unprocessable
from warpware.rules import STAGE_ORDER
from warpware.users.domain import Permission
from warpware.users.service import SignedIn

router = APIRouter()

STAGES = [stage.value for stage in STAGE_ORDER]
FORM_FIELDS = ("name", "description", "stage", "priority", "conditions", "actions")
EXAMPLE_CONDITIONS = "all:\n  - field: order_value\n    op: gt\n    value: 500\n"
EXAMPLE_ACTIONS = "- type: hold\n  reason: Check orders over $500\n"
EXAMPLE_ORDER = json.dumps(
    {
        "external_id": "TRY-1",
        "customer_email": "ann@example.com",
        "line_items": [{"sku": "MUG-RED", "quantity": 2, "price": 300}],
        "shipping_address": {
            "name": "Ann Lee",
            "address1": "1 Main St",
            "city": "Austin",
            "state": "TX",
            "zip": "78701",
            "country": "US",
        },
    },
    indent=2,
)


def _yaml_text(value: Any) -> str:
    if value is None:
        return ""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)


def _values_of(rule: Rule | None) -> dict[str, Any]:
    if rule is None:
        return {
            "name": "",
            "description": "",
            "stage": "hold",
            "priority": "100",
            "enabled": True,
            "stop_on_match": False,
            "conditions": "",
            "actions": "",
        }
    return {
        "name": rule.name,
        "description": rule.description,
        "stage": rule.stage,
        "priority": str(rule.priority),
        "enabled": rule.enabled,
        "stop_on_match": rule.stop_on_match,
        "conditions": _yaml_text(rule.conditions),
        "actions": _yaml_text(rule.actions),
    }


def _form_page(
    request: Request,
    *,
    rule: Rule | None,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "rules/form.html",
        {
            "rule": rule,
            "values": values,
            "errors": errors or {},
            "stages": STAGES,
            "example_conditions": EXAMPLE_CONDITIONS,
            "example_actions": EXAMPLE_ACTIONS,
        },
        status_code=status_code,
    )


def _submitted(form: FormData) -> dict[str, Any]:
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    return {
        "name": text("name"),
        "description": text("description"),
        "stage": text("stage"),
        "priority": text("priority"),
        "enabled": "enabled" in form,
        "stop_on_match": "stop_on_match" in form,
        "conditions": text("conditions"),
        "actions": text("actions"),
    }


def _parse(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The rule as the service takes it, or the problems that stop it being parsed (per form field)."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {
        "name": values["name"],
        "description": values["description"],
        "stage": values["stage"],
        "enabled": values["enabled"],
        "stop_on_match": values["stop_on_match"],
    }
    try:
        data["priority"] = int(values["priority"] or "100")
    except ValueError:
        errors["priority"] = ["Enter a whole number (lower runs first)"]
    for name in ("conditions", "actions"):
        text = values[name]
        if not text:
            data[name] = None if name == "conditions" else []
            continue
        try:
            data[name] = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            errors[name] = [f"Not valid YAML or JSON{where}: {getattr(exc, 'problem', None) or exc}"]
    if data.get("conditions") is None:
        data.pop("conditions", None)
    return data, errors


_FIELD_RE = re.compile(r"^([a-z_]+)")


def _field_errors(exc: Unprocessable) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for item in exc.extra.get("errors", []):
        path = str(item.get("field", ""))
        match = _FIELD_RE.match(path)
        field = match.group(1) if match and match.group(1) in FORM_FIELDS else "rule"
        message = str(item.get("message", "invalid"))
        errors.setdefault(field, []).append(f"{path}: {message}" if path not in ("", field) else message)
    return errors or {"rule": [exc.detail]}


@router.get("/rules")
def rules_page(request: Request, user: SignedIn = Depends(current_user)) -> Response:
    with database(request).reading() as session:
        rules = rules_service.in_evaluation_order(session, user.principal)
    by_stage = {stage: [r for r in rules if r.stage == stage] for stage in STAGES}
    return render(request, "rules/index.html", {"by_stage": by_stage, "total": len(rules)})


@router.get("/rules/new")
def new_rule(
    request: Request, _user: SignedIn = Depends(require_permission(Permission.MANAGE_RULES))
) -> Response:
    return _form_page(request, rule=None, values=_values_of(None))


@router.post("/rules/new")
def create_rule(request: Request, act: Acting = Depends(acting(Permission.MANAGE_RULES))) -> Response:
    values = _submitted(act.form)
    data, errors = _parse(values)
    if not errors:
        try:
            with database(request).writing() as session:
                rule = rules_service.create(session, act.user.principal, data)
                name = rule.name
            return redirect("/rules", message=f"Rule {name} created.")
        except Unprocessable as exc:
            errors = _field_errors(exc)
    return _form_page(request, rule=None, values=values, errors=errors, status_code=422)


@router.get("/rules/try")
def try_page(request: Request, user: SignedIn = Depends(current_user)) -> Response:
    with database(request).reading() as session:
        rules = rules_service.in_evaluation_order(session, user.principal)
    return render(
        request,
        "rules/try.html",
        {"rules": rules, "order_text": EXAMPLE_ORDER, "which": "enabled", "result": None, "error": ""},
    )


@router.post("/rules/try")
def try_rules(
    request: Request, form: FormData = Depends(csrf_form), user: SignedIn = Depends(current_user)
) -> Response:
    # A dry run changes nothing, so everyone who may look may try (the form still carries CSRF).
    order_text = str(form.get("order") or "")
    which = str(form.get("which") or "enabled")
    result: dict[str, Any] | None = None
    error = ""
    with database(request).reading() as session:
        rules = rules_service.in_evaluation_order(session, user.principal)
        chosen = None if which == "enabled" else rules_service.get(session, user.principal, which)
        try:
            order = json.loads(order_text)
            if not isinstance(order, dict):
                raise ValueError("the order must be a JSON object")
        except ValueError as exc:
            error = f"The order is not valid JSON: {exc}"
        else:
            try:
                result = rules_service.dry_run(
                    session,
                    user.principal,
                    order,
                    # One rule is tried as if it were enabled: the point is to see what it would do.
                    rules=[{**rules_service.rule_as_data(chosen), "enabled": True}] if chosen else None,
                )
            except Unprocessable as exc:
                error = exc.detail
    return render(
        request,
        "rules/try.html",
        {"rules": rules, "order_text": order_text, "which": which, "result": result, "error": error},
        status_code=422 if error else 200,
    )


@router.get("/rules/{rule_id}")
def edit_rule(
    rule_id: str, request: Request, user: SignedIn = Depends(require_permission(Permission.MANAGE_RULES))
) -> Response:
    with database(request).reading() as session:
        rule = rules_service.get(session, user.principal, rule_id)
    return _form_page(request, rule=rule, values=_values_of(rule))


@router.post("/rules/{rule_id}")
def update_rule(
    rule_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_RULES))
) -> Response:
    db = database(request)
    with db.reading() as session:
        rule = rules_service.get(session, act.user.principal, rule_id)
    values = _submitted(act.form)
    data, errors = _parse(values)
    if not errors:
        data.setdefault("conditions", None)
        try:
            with db.writing() as session:
                updated = rules_service.update(session, act.user.principal, rule_id, data)
                name = updated.name
            return redirect("/rules", message=f"Rule {name} saved.")
        except Unprocessable as exc:
            errors = _field_errors(exc)
    return _form_page(request, rule=rule, values=values, errors=errors, status_code=422)


@router.post("/rules/{rule_id}/move")
def move_rule(
    rule_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_RULES))
) -> Response:
    up = act.field("direction") == "up"
    with database(request).writing() as session:
        rule = rules_service.move(session, act.user.principal, rule_id, up=up)
        name = rule.name
    return redirect("/rules", message=f"Rule {name} moved {'up' if up else 'down'}.")


@router.post("/rules/{rule_id}/enable")
def enable_rule(
    rule_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_RULES))
) -> Response:
    return _switch(request, act, rule_id, enabled=True)


@router.post("/rules/{rule_id}/disable")
def disable_rule(
    rule_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_RULES))
) -> Response:
    return _switch(request, act, rule_id, enabled=False)


def _switch(request: Request, act: Acting, rule_id: str, *, enabled: bool) -> Response:
    with database(request).writing() as session:
        rule = rules_service.update(session, act.user.principal, rule_id, {"enabled": enabled})
        name = rule.name
    return redirect("/rules", message=f"Rule {name} {'enabled' if enabled else 'disabled'}.")


@router.post("/rules/{rule_id}/delete")
def delete_rule(
    rule_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_RULES))
) -> Response:
    with database(request).writing() as session:
        name = rules_service.get(session, act.user.principal, rule_id).name
        rules_service.delete(session, act.user.principal, rule_id)
    return redirect("/rules", message=f"Rule {name} deleted.")
