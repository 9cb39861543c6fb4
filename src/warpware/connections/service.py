"""Connections: create, edit, delete, test, and the destination a worker sends through."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.connections import repository
from warpware.connections.models import Connection, ConnectionCall
from warpware.connections.schemas import ConnectionCreate, ConnectionUpdate
from warpware.connectors.base import ConnectorError, Destination, TrackingWriter
from warpware.connectors.registry import DESTINATION_TYPES, build_destination, build_writer, connection_type
from warpware.errors import NotFound, Unprocessable, validation_detail
from warpware.kit import crypto
from warpware.kit.clock import utcnow
from warpware.kit.ids import parse_uuid
from warpware.webhooks import outbox as webhooks_outbox


def _validated(type_name: str, settings: dict[str, Any], credentials: dict[str, Any]) -> None:
    try:
        kind = connection_type(type_name)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from None
    for label, model, data in (
        ("settings", kind.settings_model, settings),
        ("credentials", kind.credentials_model, credentials),
    ):
        try:
            model.model_validate(data)
        except ValidationError as exc:
            detail, fields = validation_detail(
                [{**e, "loc": (label, *e.get("loc", ()))} for e in exc.errors()]
            )
            # Never echo credential values back in an error.
            raise Unprocessable(detail, extra={"errors": fields}) from None


def create(session: Session, principal: Principal, body: ConnectionCreate) -> Connection:
    _validated(body.type, body.settings, body.credentials)
    now = utcnow()
    connection = Connection(
        account_id=principal.account_id,
        sub_client_id=principal.sub_client_id,
        name=body.name,
        type=body.type,
        settings=body.settings,
        credentials_encrypted=crypto.encrypt(json.dumps(body.credentials)),
        is_default=body.is_default,
        push_enabled=body.push_enabled,
        created_at=now,
        updated_at=now,
    )
    session.add(connection)
    session.flush()
    if body.is_default:
        repository.clear_default(session, principal.account_id, connection.id)
    _sync_polling(session, connection)
    return connection


def _sync_polling(session: Session, connection: Connection) -> None:
    # File and email channels poll their inbox on a durable schedule that follows their settings.
    from warpware.channels.tasks import sync_polling

    sync_polling(session, connection)


def get(session: Session, principal: Principal, connection_id: str) -> Connection:
    parsed = parse_uuid(connection_id)
    connection = repository.get(session, principal.account_id, parsed) if parsed else None
    if connection is None:
        raise NotFound(f"Connection {connection_id} not found")
    return connection


def update(session: Session, principal: Principal, connection_id: str, body: ConnectionUpdate) -> Connection:
    connection = get(session, principal, connection_id)
    settings = body.settings if body.settings is not None else connection.settings
    credentials = body.credentials if body.credentials is not None else credentials_of(connection)
    _validated(connection.type, settings, credentials)
    if body.name is not None:
        connection.name = body.name
    connection.settings = settings
    if body.credentials is not None:
        connection.credentials_encrypted = crypto.encrypt(json.dumps(body.credentials))
    if body.push_enabled is not None:
        connection.push_enabled = body.push_enabled
    if body.is_default is not None:
        connection.is_default = body.is_default
        if body.is_default:
            repository.clear_default(session, principal.account_id, connection.id)
    connection.updated_at = utcnow()
    _sync_polling(session, connection)
    return connection


def delete(session: Session, principal: Principal, connection_id: str) -> None:
    connection = get(session, principal, connection_id)
    connection.deleted_at = utcnow()
    connection.is_default = False
    _sync_polling(session, connection)


def credentials_of(connection: Connection) -> dict[str, Any]:
    if not connection.credentials_encrypted:
        return {}
    data = json.loads(crypto.decrypt(connection.credentials_encrypted))
    return data if isinstance(data, dict) else {}


# One connector per connection and version of its row, per process: a connector owns an HTTP client
# (a new one parses the whole CA bundle, ~20 ms of CPU) and a token cache, both meant to be reused.
_connectors: dict[uuid.UUID, tuple[dt.datetime, Any]] = {}
_connectors_lock = threading.Lock()


def _cached(connection: Connection, build: Callable[[], Any]) -> Any:
    with _connectors_lock:
        hit = _connectors.get(connection.id)
        if hit is not None and hit[0] == connection.updated_at:
            return hit[1]
    connector = build()
    with _connectors_lock:
        _connectors[connection.id] = (connection.updated_at, connector)
    return connector


def destination_for(connection: Connection) -> Destination:
    destination: Destination = _cached(connection, lambda: build_destination(
        connection.type, connection.settings, credentials_of(connection)))
    return destination


def writer_for(connection: Connection) -> TrackingWriter:
    writer: TrackingWriter = _cached(connection, lambda: build_writer(
        connection.type, connection.settings, credentials_of(connection)))
    return writer


def is_destination(connection: Connection) -> bool:
    return connection.type in DESTINATION_TYPES


def record_call(
    session: Session,
    connection: Connection,
    *,
    operation: str,
    ok: bool,
    duration_ms: int,
    order_id: uuid.UUID | None = None,
    error: ConnectorError | None = None,
) -> None:
    now = utcnow()
    repository.add_call(
        session,
        ConnectionCall(
            account_id=connection.account_id,
            connection_id=connection.id,
            order_id=order_id,
            operation=operation,
            ok=ok,
            error_category=error.category if error else None,
            error_message=error.message[:1000] if error else None,
            duration_ms=duration_ms,
            occurred_at=now,
        ),
    )
    if ok:
        connection.last_success_at = now
    else:
        webhooks_outbox.connection_failed(session, connection, operation=operation, error=error, now=now)
        connection.last_error_at = now
        connection.last_error = error.message[:1000] if error else "failed"


@dataclass(frozen=True)
class TestOutcome:
    """One call of a connector's `test()`: how long it took and the error, if it failed."""

    duration_ms: int
    error: ConnectorError | None = None


def call_test(connection: Connection) -> TestOutcome:
    """Call the remote once. Takes no session: a caller can make the call outside any transaction, so a
    slow remote does not hold SQLite's write lock (every other writer would wait for it)."""
    started = time.monotonic()
    try:
        remote = destination_for(connection) if is_destination(connection) else writer_for(connection)
        remote.test()  # type: ignore[union-attr]
    except ConnectorError as exc:
        return TestOutcome(int((time.monotonic() - started) * 1000), exc)
    return TestOutcome(int((time.monotonic() - started) * 1000))


def record_test(
    session: Session, principal: Principal, connection_id: str, outcome: TestOutcome
) -> dict[str, Any]:
    """Record a test's outcome in the connection's health; returns what the API answers."""
    connection = get(session, principal, connection_id)
    record_call(
        session,
        connection,
        operation="test",
        ok=outcome.error is None,
        duration_ms=outcome.duration_ms,
        error=outcome.error,
    )
    if outcome.error is not None:
        return {"ok": False, "error_category": outcome.error.category, "message": outcome.error.message}
    return {"ok": True, "message": "Connection works"}


def test_connection(session: Session, principal: Principal, connection_id: str) -> dict[str, Any]:
    """Call the remote once; the outcome is recorded in the connection's health."""
    outcome = call_test(get(session, principal, connection_id))
    return record_test(session, principal, connection_id, outcome)


def credentials_keeping_blanks(connection: Connection, submitted: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's write-only credential fields: a field left blank keeps the stored value."""
    stored = credentials_of(connection)
    return {**stored, **{k: v for k, v in submitted.items() if v not in ("", None)}}


def list_connections(session: Session, principal: Principal) -> list[Connection]:
    return repository.for_account(session, principal.account_id)
