"""Connections: Custom API Integrations (keys shown once), destination and channel connections, tests.

Everyone may look at the list; adding, editing, testing and revoking are admin actions
(`keys.manage` for API keys, `connections.manage` for connections). Credentials are write-only: they
are never put into a page, and a credential input left blank keeps the stored value.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warpware.accounts import service as accounts_service
from warpware.connections import service as connections_service
from warpware.connections.schemas import ConnectionCreate, ConnectionUpdate
from warpware.connectors.registry import CHANNEL_TYPES, CONNECTION_TYPES, DESTINATION_TYPES, ConnectionType
from warpware.dashboard import settings_forms
from warpware.dashboard.security import Acting, acting, current_user, database, require_permission
from warpware.dashboard.templating import redirect, render
from warpware.errors import NotFound, Unprocessable
from warpware.kit.ids import parse_uuid
from warpware.users.domain import Permission
from warpware.users.service import SignedIn

router = APIRouter()
log = logging.getLogger("warpware.dashboard")

SCOPE_CHOICES = {"read": "read", "read,write": "read,write"}


@router.get("/connections")
def connections_page(request: Request, user: SignedIn = Depends(current_user)) -> Response:
    with database(request).reading() as session:
        integrations = accounts_service.list_integrations(session, user.principal)
        connections = connections_service.list_connections(session, user.principal)
    return render(
        request,
        "connections/index.html",
        {
            "integrations": integrations,
            "destinations": [c for c in connections if c.type in DESTINATION_TYPES],
            "channels": [c for c in connections if c.type not in DESTINATION_TYPES],
            "types": CONNECTION_TYPES,
            "destination_types": DESTINATION_TYPES,
            "channel_types": CHANNEL_TYPES,
        },
    )


# --- Custom API Integrations -----------------------------------------------------------------------


@router.post("/connections/integrations")
def create_integration(request: Request, act: Acting = Depends(acting(Permission.MANAGE_KEYS))) -> Response:
    name = act.field("name")[:200]
    scopes = act.field("scopes")
    if scopes not in SCOPE_CHOICES:
        return redirect(
            "/connections", message="Choose the key's scopes: read, or read and write.", kind="error"
        )
    try:
        with database(request).writing() as session:
            created = accounts_service.create_integration(
                session, act.user.principal, name=name, scopes=scopes
            )
            integration_name, hint = created.integration.name, created.integration.key_hint
    except Unprocessable as exc:
        return redirect(
            "/connections", message=f"The integration was not created: {exc.detail}", kind="error"
        )
    # Rendered straight from the POST (never via a redirect or a cookie): this is the key's only showing.
    return render(
        request,
        "connections/key_created.html",
        {"name": integration_name, "key": created.key, "hint": hint, "scopes": scopes},
        status_code=201,
    )


@router.post("/connections/integrations/{integration_id}/revoke")
def revoke_integration(
    integration_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_KEYS))
) -> Response:
    parsed = parse_uuid(integration_id)
    if parsed is None:
        raise NotFound("No such API key")
    with database(request).writing() as session:
        integration = accounts_service.revoke_api_key(
            session, parsed, account_id=act.user.principal.account_id
        )
        name = integration.name
    return redirect("/connections", message=f"The key of {name} is revoked; requests with it now get 401.")


# --- destination and channel connections -----------------------------------------------------------


def _kind(type_name: str) -> ConnectionType:
    kind = CONNECTION_TYPES.get(type_name)
    if kind is None:
        raise NotFound(f"Unknown connection type {type_name!r}")
    return kind


def _form_page(
    request: Request,
    kind: ConnectionType,
    *,
    connection: Any = None,
    name: str = "",
    is_default: bool = False,
    push_enabled: bool = True,
    settings: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "connections/form.html",
        {
            "kind": kind,
            "connection": connection,
            "name": name,
            "is_default": is_default,
            "push_enabled": push_enabled,
            "is_destination": kind.name in DESTINATION_TYPES,
            "settings_fields": settings_forms.filled(kind.settings_model, "settings", settings, errors),
            "credential_fields": settings_forms.filled(kind.credentials_model, "credentials", None, errors),
            "has_credentials": bool(connection is not None and connection.credentials_encrypted),
            "errors": errors or {},
            "message": message,
        },
        status_code=status_code,
    )


def _field_errors(exc: Unprocessable) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in exc.extra.get("errors", []):
        parts = str(item.get("field", "")).split(".")
        key = ".".join(parts[:2]) if len(parts) >= 2 else "name"
        errors.setdefault(key, str(item.get("message", "invalid")))
    return errors


@router.get("/connections/new")
def new_connection(
    request: Request,
    type: str = "",
    _user: SignedIn = Depends(require_permission(Permission.MANAGE_CONNECTIONS)),
) -> Response:
    if not type:
        return render(
            request,
            "connections/choose_type.html",
            {"destination_types": DESTINATION_TYPES, "channel_types": CHANNEL_TYPES},
        )
    return _form_page(request, _kind(type))


@router.post("/connections/new")
def create_connection(
    request: Request, act: Acting = Depends(acting(Permission.MANAGE_CONNECTIONS))
) -> Response:
    kind = _kind(act.field("type"))
    name = act.field("name")[:200]
    is_default, push_enabled = "is_default" in act.form, "push_enabled" in act.form
    settings = settings_forms.parse(kind.settings_model, "settings", act.form)
    credentials = settings_forms.parse(kind.credentials_model, "credentials", act.form, credentials=True)
    errors = {**settings.errors, **credentials.errors}
    if not name:
        errors["name"] = "Give the connection a name"
    if not errors:
        try:
            with database(request).writing() as session:
                body = ConnectionCreate(
                    name=name,
                    type=kind.name,
                    settings=settings.values,
                    credentials=credentials.values,
                    is_default=is_default,
                    push_enabled=push_enabled,
                )
                connection = connections_service.create(session, act.user.principal, body)
                connection_id = connection.id
            return redirect(f"/connections/{connection_id}", message=f"Connection {name} added.")
        except Unprocessable as exc:
            errors = _field_errors(exc) or {"name": exc.detail}
    return _form_page(
        request,
        kind,
        name=name,
        is_default=is_default,
        push_enabled=push_enabled,
        settings=settings.values,
        errors=errors,
        message="The connection was not saved: correct the fields marked below.",
        status_code=422,
    )


@router.get("/connections/{connection_id}")
def edit_connection(
    connection_id: str,
    request: Request,
    user: SignedIn = Depends(require_permission(Permission.MANAGE_CONNECTIONS)),
) -> Response:
    with database(request).reading() as session:
        connection = connections_service.get(session, user.principal, connection_id)
    return _form_page(
        request,
        _kind(connection.type),
        connection=connection,
        name=connection.name,
        is_default=connection.is_default,
        push_enabled=connection.push_enabled,
        settings=dict(connection.settings or {}),
    )


@router.post("/connections/{connection_id}")
def update_connection(
    connection_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_CONNECTIONS))
) -> Response:
    db = database(request)
    with db.reading() as session:
        connection = connections_service.get(session, act.user.principal, connection_id)
    kind = _kind(connection.type)
    name = act.field("name")[:200]
    is_default, push_enabled = "is_default" in act.form, "push_enabled" in act.form
    settings = settings_forms.parse(kind.settings_model, "settings", act.form)
    credentials = settings_forms.parse(kind.credentials_model, "credentials", act.form, credentials=True)
    errors = {**settings.errors, **credentials.errors}
    if not name:
        errors["name"] = "Give the connection a name"
    if not errors:
        try:
            with db.writing() as session:
                current = connections_service.get(session, act.user.principal, connection_id)
                body = ConnectionUpdate(
                    name=name,
                    settings=settings.values,
                    credentials=connections_service.credentials_keeping_blanks(current, credentials.values),
                    is_default=is_default,
                    push_enabled=push_enabled,
                )
                connections_service.update(session, act.user.principal, connection_id, body)
            return redirect(f"/connections/{connection.id}", message=f"Connection {name} saved.")
        except Unprocessable as exc:
            errors = _field_errors(exc) or {"name": exc.detail}
    return _form_page(
        request,
        kind,
        connection=connection,
        name=name,
        is_default=is_default,
        push_enabled=push_enabled,
        settings=settings.values,
        errors=errors,
        message="The connection was not saved: correct the fields marked below.",
        status_code=422,
    )


@router.post("/connections/{connection_id}/test")
def test_connection(
    connection_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_CONNECTIONS))
) -> Response:
    back = f"/connections/{connection_id}" if act.field("back") == "edit" else "/connections"
    db = database(request)
    with db.reading() as session:
        connection = connections_service.get(session, act.user.principal, connection_id)
    name = connection.name
    try:
        # Outside any transaction: a slow remote must not hold the database's write lock.
        outcome = connections_service.call_test(connection)
    except ValueError as exc:  # stored settings the connector's model no longer accepts
        log.warning("connection test could not build the connector: %s", type(exc).__name__)
        return redirect(back, message="Test failed: the connection's settings are not valid.", kind="error")
    except Exception as exc:  # never a 500 for a remote's misbehaviour; no detail, it may hold secrets
        log.exception("connection test failed unexpectedly")
        return redirect(back, message=f"Test failed: {type(exc).__name__}.", kind="error")
    with db.writing() as session:
        result = connections_service.record_test(session, act.user.principal, connection_id, outcome)
    if result["ok"]:
        return redirect(back, message=f"Test of {name} succeeded: {result['message']}.")
    return redirect(
        back, message=f"Test of {name} failed ({result['error_category']}): {result['message']}", kind="error"
    )


@router.post("/connections/{connection_id}/delete")
def delete_connection(
    connection_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_CONNECTIONS))
) -> Response:
    with database(request).writing() as session:
        name = connections_service.get(session, act.user.principal, connection_id).name
        connections_service.delete(session, act.user.principal, connection_id)
    return redirect("/connections", message=f"Connection {name} deleted.")
