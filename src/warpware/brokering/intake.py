"""How an order enters brokering, and the approval step between ingest and routing.

`pipeline.evaluation.evaluate_order` calls `enter` when brokering is on for the account and no rule
(or shipment) chose a destination. The order stays `pending` with `brokering_queue` set; approval,
then its type, decide what happens next: BOPIS goes straight to its pickup location, pre-orders and
backorders are parked, standard orders wait for a run.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy.orm import Session

from warpware.brokering import repository
from warpware.brokering.domain import (
    PICKUP_KEY,
    BadOrderType,
    OrderType,
    Queue,
    order_type_of,
    parked_queue,
    promise_date_of,
)
from warpware.brokering.models import BrokeringSettings, OrderBrokering
from warpware.brokering.service import parse_approval
from warpware.connections.models import Connection
from warpware.connectors.registry import DESTINATION_TYPES
from warpware.inventory import repository as inventory_repository
from warpware.kit.ids import parse_uuid
from warpware.orders import service as orders_service
from warpware.orders.models import Order
from warpware.rules import evaluate_condition

COMPONENT = "BrokeringService"


class Approval(StrEnum):
    APPROVED = "approved"
    FAILED = "failed"


def settings_if_enabled(session: Session, account_id: uuid.UUID) -> BrokeringSettings | None:
    row = repository.settings_for(session, account_id)
    return row if row is not None and row.enabled else None


def event(
    session: Session,
    order: Order,
    type: str,
    message: str,
    now: dt.datetime,
    *,
    actor: str = "brokering",
    **details: object,
) -> None:
    """A brokering timeline event; `actor` is who did it (a person or API key for rejections and
    approvals, brokering itself otherwise)."""
    orders_service.record_event(
        session,
        order,
        source="brokering",
        type=type,
        component=COMPONENT,
        actor=actor,
        message=message,
        details=dict(details),
        now=now,
    )


def move(session: Session, order: Order, queue: Queue | None, reason: str, now: dt.datetime) -> None:
    """Put the order in a queue (or take it out of brokering) with the reason on its timeline."""
    old = order.brokering_queue
    order.brokering_queue = queue.value if queue is not None else None
    order.updated_at = now
    where = f"the {queue.value} queue" if queue is not None else "no queue"
    event(
        session,
        order,
        "brokering_queue_changed",
        f"Moved to {where}: {reason}",
        now,
        queue=order.brokering_queue,
        previous_queue=old,
        reason=reason,
    )


def enter(session: Session, order: Order, settings: BrokeringSettings, *, now: dt.datetime) -> None:
    state = repository.state_for(session, order.id)
    if state is None:
        state = OrderBrokering(
            order_id=order.id,
            account_id=order.account_id,
            excluded_location_ids=[],
            created_at=now,
            updated_at=now,
        )
        repository.add(session, state)
    try:
        kind = order_type_of(order.meta or {}, order.tags or [])
    except BadOrderType as exc:
        event(session, order, "order_type_invalid", f"{exc}; brokered as a standard order", now)
        kind = OrderType.STANDARD
    state.order_type = kind.value
    state.promise_date = promise_date_of(order.meta or {})
    state.pickup_location_id = None
    if kind is OrderType.BOPIS:
        state.pickup_location_id = _pickup_location(session, order)
        if state.pickup_location_id is None:
            event(
                session,
                order,
                "pickup_location_unknown",
                f"BOPIS order names no pickup location of this account (metadata.{PICKUP_KEY} = "
                f"{(order.meta or {}).get(PICKUP_KEY)!r}); brokered as a standard order",
                now,
            )
            state.order_type = OrderType.STANDARD.value
    move(session, order, Queue.BROKERING, f"awaiting approval and brokering ({state.order_type} order)", now)
    if check_approval(session, order, state, settings, now=now) is Approval.APPROVED:
        after_approval(session, order, state, now=now)


def check_approval(
    session: Session, order: Order, state: OrderBrokering, settings: BrokeringSettings, *, now: dt.datetime
) -> Approval:
    """Approve the order if it meets the account's criteria; else keep it pending with the reason
    (on the timeline when it is new or changed, so a run re-checking it does not repeat itself)."""
    if state.approved_at is not None:
        return Approval.APPROVED
    condition = parse_approval(settings.approval_conditions) if settings.approval_conditions else None
    if condition is None:
        _approve(session, order, state, by="brokering", message="Approved (no approval criteria)", now=now)
        return Approval.APPROVED
    from warpware.pipeline.evaluation import order_facts  # the pipeline imports this module

    result = evaluate_condition(condition, order_facts(session, order, now))
    if result.matched:
        _approve(
            session,
            order,
            state,
            by="brokering",
            message="Approved: meets the approval criteria",
            now=now,
            explanation=result.lines(),
        )
        return Approval.APPROVED
    reason = "; ".join(line.strip() for line in result.lines())
    if state.approval_failure != reason:
        event(session, order, "approval_failed", f"Not approved: {reason}", now, explanation=result.lines())
    state.approval_failure = reason
    state.updated_at = now
    return Approval.FAILED


def _approve(
    session: Session,
    order: Order,
    state: OrderBrokering,
    *,
    by: str,
    message: str,
    now: dt.datetime,
    explanation: list[str] | None = None,
) -> None:
    state.approved_at, state.approved_by, state.approval_failure, state.updated_at = now, by, None, now
    orders_service.record_event(
        session,
        order,
        source="brokering",
        type="approved",
        component=COMPONENT,
        actor=by,
        message=message,
        details={"explanation": explanation or []},
        now=now,
    )


def approve_manually(
    session: Session, order: Order, state: OrderBrokering, *, actor: str, note: str | None, now: dt.datetime
) -> None:
    _approve(
        session,
        order,
        state,
        by=actor,
        now=now,
        message=f"Approved manually by {actor}" + (f": {note}" if note else ""),
    )
    after_approval(session, order, state, now=now)


def after_approval(session: Session, order: Order, state: OrderBrokering, *, now: dt.datetime) -> None:
    """Approved: park pre-orders and backorders, send BOPIS to its pickup store, leave the rest queued."""
    from warpware.pipeline.evaluation import route  # the pipeline imports this module

    kind = OrderType(state.order_type)
    parking = parked_queue(kind)
    if parking is not None:
        promise = f" (promised {state.promise_date.isoformat()})" if state.promise_date else ""
        move(
            session,
            order,
            parking,
            f"{kind.value} parked until inventory arrives or the promise date{promise}",
            now,
        )
        return
    if kind is OrderType.BOPIS and state.pickup_location_id is not None:
        connection = _connection_of_location(session, order, state.pickup_location_id)
        if connection is None:
            event(
                session,
                order,
                "pickup_location_unknown",
                "The BOPIS pickup location has no live destination connection; brokered as standard",
                now,
            )
            state.order_type = OrderType.STANDARD.value
            return
        state.location_id, state.routed_at, state.updated_at = state.pickup_location_id, now, now
        state.last_reason = f"BOPIS: picked up at {connection.name}"
        event(
            session,
            order,
            "brokered",
            f"BOPIS order sent straight to its pickup location {connection.name}",
            now,
            location_id=str(state.pickup_location_id),
            order_type="bopis",
        )
        route(session, order, connection, assigned_by="brokering", actor="brokering", component=COMPONENT)


def _pickup_location(session: Session, order: Order) -> uuid.UUID | None:
    """metadata.pickup_location_id: a location's id, its connection's id, or its name (any case)."""
    raw = (order.meta or {}).get(PICKUP_KEY)
    if raw is None or not str(raw).strip():
        return None
    text = str(raw).strip()
    parsed = parse_uuid(text)
    for location in inventory_repository.locations_for(session, order.account_id):
        if parsed is not None and parsed in (location.id, location.connection_id):
            return location.id
        if location.name.casefold() == text.casefold():
            return location.id
    return None


def _connection_of_location(session: Session, order: Order, location_id: uuid.UUID) -> Connection | None:
    location = inventory_repository.get_location(session, order.account_id, location_id)
    if location is None or location.connection_id is None:
        return None
    connection = session.get(Connection, location.connection_id)
    if connection is None or connection.deleted_at is not None or connection.type not in DESTINATION_TYPES:
        return None
    return connection
