"""The webhook outbox: events become delivery rows and `webhook.deliver` jobs in the transaction of
the change that caused them.

Order changes arrive through the one choke point every change already passes, the timeline
(`orders.repository.add_event` and `insert_orders` call in here). Other sources call `emit_event`.

Why the rows are written at commit rather than at once: the payload's `data` is the full order, and
services set some fields after the timeline entry (a hold's end, a cancel reason), so the snapshot is
taken when the transaction commits (SQLAlchemy `before_commit`, still inside the transaction). An
event noticed inside a savepoint that then rolls back is dropped with it, and a transaction that rolls
back writes nothing. The event's own fields (previous_status, error_message, ...) are valued when the
entry is written.

Cost when nobody listens: one query per transaction and account for its active endpoints (kept in
`session.info`), and nothing at all for timeline entries that never become events.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id
from warpware.kit.jsonio import dumps
from warpware.orders.schemas import order_read
from warpware.webhooks import notify, repository
from warpware.webhooks.events import EVENT_TYPES, TIMELINE_TYPES, order_events
from warpware.webhooks.repository import EndpointRef
from warpware.worker import enqueue

DELIVER_JOB = "webhook.deliver"
# The delivery's own schedule (tasks.RETRY_SCHEDULE) decides when it stops; the job's budget is a few
# attempts larger so a worker that dies mid-attempt does not use up the last one silently.
DELIVER_JOB_MAX_ATTEMPTS = 16

# What events.order_events reads of the order when the timeline entry is written.
ORDER_ATTRIBUTES = ("error_message", "error_category", "hold_reason", "hold_until", "cancel_reason")

_PENDING = "warpware.webhooks.pending"
_ENDPOINTS = "warpware.webhooks.endpoints"
_HOOKED = "warpware.webhooks.hooked"


@dataclass
class _Pending:
    transaction: SessionTransaction | None
    account_id: uuid.UUID
    endpoints: list[EndpointRef]
    event: str
    subject: str
    occurred_at: dt.datetime
    fields: dict[str, Any] = field(default_factory=dict)
    order_id: uuid.UUID | None = None
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class NewDelivery:
    """A delivery to write now: for events that do not wait for a commit (tests, replays)."""

    endpoint_id: uuid.UUID
    account_id: uuid.UUID
    event_id: uuid.UUID
    event: str
    subject: str
    body: str
    order_id: uuid.UUID | None = None
    redelivery_of: uuid.UUID | None = None


# --- what the rest of the service calls ------------------------------------------------------------


def emit_for_timeline_event(session: Session, order: Any, fields: dict[str, Any]) -> None:
    """Called by `orders.repository.add_event` with the order and the timeline row's fields."""
    timeline_type = str(fields.get("type", ""))
    details = fields.get("details") or {}
    if timeline_type == "order.failed":
        # Automatic retries are over: the account hears about it whether or not it has endpoints.
        notify.order_failed(session, order, details=details, message=str(fields.get("message", "")))
    if timeline_type not in TIMELINE_TYPES:
        return
    endpoints = _endpoints(session, order.account_id)
    if not endpoints:
        return
    attributes = {name: getattr(order, name, None) for name in ORDER_ATTRIBUTES}
    emissions, annotations = order_events(
        timeline_type,
        details,
        message=str(fields.get("message", "")),
        actor=fields.get("actor"),
        order=attributes,
    )
    occurred_at = fields.get("occurred_at") or utcnow()
    for emission in emissions:
        _add(
            session,
            order.account_id,
            order.sub_client_id,
            endpoints,
            emission.event,
            subject=f"order:{order.id}",
            occurred_at=occurred_at,
            fields=emission.fields,
            order_id=order.id,
        )
    for annotation in annotations:
        _annotate(session, order.id, annotation.event, annotation.fields)


def emit_for_inserted_orders(
    session: Session, orders: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    """Called by `orders.repository.insert_orders`: bulk ingest, one `received` entry per order."""
    if not events:
        return
    by_id = {row["id"]: row for row in orders}
    for entry in events:
        if entry.get("type") not in TIMELINE_TYPES:
            continue
        row = by_id.get(entry["order_id"])
        if row is None:
            continue
        endpoints = _endpoints(session, row["account_id"])
        if not endpoints:
            continue
        emissions, _ = order_events(
            str(entry["type"]),
            entry.get("details") or {},
            message=str(entry.get("message", "")),
            actor=entry.get("actor"),
            order=row,
        )
        for emission in emissions:
            _add(
                session,
                row["account_id"],
                row.get("sub_client_id"),
                endpoints,
                emission.event,
                subject=f"order:{row['id']}",
                occurred_at=entry.get("occurred_at") or utcnow(),
                fields=emission.fields,
                order_id=row["id"],
            )


def emit_event(
    session: Session,
    account_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
    *,
    subject: str,
    sub_client_id: uuid.UUID | None = None,
) -> None:
    """Emit an event that is not about one order (inventory.updated, inventory.low_stock, ...).

    `subject` names what the event is about ("sku:ABC-1"): events of one subject reach an endpoint
    in the order they were emitted. `data` is sent as given.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    endpoints = _endpoints(session, account_id)
    if endpoints:
        _add(
            session,
            account_id,
            sub_client_id,
            endpoints,
            event_type,
            subject=subject,
            occurred_at=utcnow(),
            data=dict(data),
            account_level=True,
        )


def connection_failed(
    session: Session, connection: Any, *, operation: str, error: Any, now: dt.datetime
) -> None:
    """`connection.error` when a connection starts failing: its previous recorded call succeeded (or
    it has none). Call before the failure is recorded on the connection; later failures in a row stay
    quiet, so an outage is one event, not one per order."""
    last_success = connection.last_success_at
    # Atomic, so two calls failing at once (two workers) announce the outage once, not twice.
    if not repository.mark_connection_failing(session, connection.id, now=now):
        return
    emit_event(
        session,
        connection.account_id,
        "connection.error",
        {
            "connection": {"id": connection.id, "name": connection.name, "type": connection.type},
            "operation": operation,
            "error_message": getattr(error, "message", None) or "failed",
            "error_type": getattr(error, "category", None),
            "status_code": getattr(error, "status_code", None),
            "failed_at": now,
            "last_success_at": last_success,
        },
        subject=f"connection:{connection.id}",
        sub_client_id=connection.sub_client_id,
    )


def write_deliveries(session: Session, deliveries: list[NewDelivery]) -> list[uuid.UUID]:
    """Insert delivery rows and their jobs in the caller's transaction; returns the delivery ids."""
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "endpoint_id": d.endpoint_id,
            "account_id": d.account_id,
            "event_id": d.event_id,
            "event": d.event,
            "subject": d.subject,
            "order_id": d.order_id,
            "body": d.body,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "redelivery_of": d.redelivery_of,
        }
        for d in deliveries
    ]
    repository.insert_deliveries(session, rows)
    for row in rows:
        endpoint_id = row["endpoint_id"]
        enqueue(
            session,
            DELIVER_JOB,
            {"delivery_id": str(row["id"])},
            # One line per endpoint and subject: an order's events arrive in the order they happened,
            # and one slow order does not hold back the others.
            ordering_key=f"webhook:{endpoint_id}:{row['subject']}",
            group_key=endpoint_group(endpoint_id),
            max_attempts=DELIVER_JOB_MAX_ATTEMPTS,
        )
    return [row["id"] for row in rows]


def endpoint_group(endpoint_id: uuid.UUID) -> str:
    return f"webhook_endpoint:{endpoint_id}"


def event_body(event_id: uuid.UUID, event_type: str, occurred_at: dt.datetime, data: dict[str, Any]) -> str:
    return dumps({"id": event_id, "event": event_type, "timestamp": occurred_at, "data": data}).decode()


# --- inside the transaction ------------------------------------------------------------------------


def _endpoints(session: Session, account_id: uuid.UUID) -> list[EndpointRef]:
    """The account's active endpoints, read once per transaction."""
    root = session.get_transaction()
    cached = session.info.get(_ENDPOINTS)
    if cached is None or cached[0] is not root:
        cached = (root, {})
        session.info[_ENDPOINTS] = cached
    by_account: dict[uuid.UUID, list[EndpointRef]] = cached[1]
    if account_id not in by_account:
        # No autoflush: reading endpoints must not flush the caller's half-made changes early.
        with session.no_autoflush:
            by_account[account_id] = repository.active_endpoint_refs(session, account_id)
    return by_account[account_id]


def _add(
    session: Session,
    account_id: uuid.UUID,
    sub_client_id: uuid.UUID | None,
    endpoints: list[EndpointRef],
    event_type: str,
    *,
    subject: str,
    occurred_at: dt.datetime,
    fields: dict[str, Any] | None = None,
    order_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
    account_level: bool = False,
) -> None:
    targets = [e for e in endpoints if event_type in e.events and _visible(e, sub_client_id, account_level)]
    if not targets:
        return
    _hook(session)
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append(
        _Pending(
            transaction=transaction,
            account_id=account_id,
            endpoints=targets,
            event=event_type,
            subject=subject,
            occurred_at=occurred_at,
            fields=dict(fields or {}),
            order_id=order_id,
            data=data,
        )
    )


def _visible(endpoint: EndpointRef, sub_client_id: uuid.UUID | None, account_level: bool) -> bool:
    """An endpoint registered with a sub-client's key sees that sub-client's orders only (as that key
    does in the API); account-level subjects (connections without a sub-client, stock) reach all."""
    if endpoint.sub_client_id is None or endpoint.sub_client_id == sub_client_id:
        return True
    return account_level and sub_client_id is None


def _annotate(session: Session, order_id: uuid.UUID, event_type: str, fields: dict[str, Any]) -> None:
    for pending in reversed(session.info.get(_PENDING, [])):
        if pending.order_id == order_id and pending.event == event_type:
            # A None adds nothing: it never overwrites a value the emission already had.
            pending.fields.update(
                {k: v for k, v in fields.items() if v is not None or k not in pending.fields}
            )
            return


def _hook(session: Session) -> None:
    if not session.info.get(_HOOKED):
        event.listen(session, "before_commit", _before_commit)
        event.listen(session, "after_soft_rollback", _after_rollback)
        session.info[_HOOKED] = True


def _after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[_Pending] | None = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [p for p in pending if not _inside(p.transaction, previous_transaction)]


def _inside(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _before_commit(session: Session) -> None:
    # Fired for savepoint releases too: only the real commit writes (a savepoint's events stay
    # pending until then, and go if an enclosing transaction rolls back).
    if session.get_nested_transaction() is not None:
        return
    pending: list[_Pending] = session.info.pop(_PENDING, None) or []
    if pending:
        _materialize(session, pending)


def _materialize(session: Session, pending: list[_Pending]) -> None:
    order_ids = {p.order_id for p in pending if p.order_id is not None}
    orders = repository.orders_by_id(session, order_ids)
    lines = repository.lines_by_order(session, orders)
    deliveries: list[NewDelivery] = []
    for item in pending:
        if item.order_id is not None:
            order = orders.get(item.order_id)
            if order is None:  # its insert did not survive (a savepoint the caller rolled back)
                continue
            data = {**order_read(order, lines[order.id]), **item.fields}
        else:
            data = {**(item.data or {}), **item.fields}
        event_id = new_id()
        body = event_body(event_id, item.event, item.occurred_at, data)
        deliveries.extend(
            NewDelivery(
                endpoint_id=endpoint.id,
                account_id=item.account_id,
                event_id=event_id,
                event=item.event,
                subject=item.subject,
                body=body,
                order_id=item.order_id,
            )
            for endpoint in item.endpoints
        )
    write_deliveries(session, deliveries)
