"""What people do to orders in the pipeline: hold, release, retry, assign, clear the duplicate flag."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.connections import repository as connections_repository
from warpware.connections.models import Connection, ConnectionCall
from warpware.connectors.registry import DESTINATION_TYPES
from warpware.errors import NotFound, Unprocessable
from warpware.kit.clock import utcnow
from warpware.kit.ids import parse_uuid
from warpware.orders import service as orders_service
from warpware.orders.domain import NOT_SENT, RESETTABLE, OrderStatus
from warpware.orders.models import Order
from warpware.pipeline.evaluation import enqueue_evaluation, hold, route
from warpware.webhooks import service as webhooks_service
from warpware.worker import enqueue

COMPONENT = "OrderActions"


def hold_order(
    session: Session, principal: Principal, order_id: str, *, reason: str | None, actor: str
) -> Order:
    """A person holds an order that has not been sent. Holding a held order is a 422."""
    order = orders_service.get_order(session, principal, order_id, for_update=True)
    status = OrderStatus(order.status)
    if status is OrderStatus.HOLD:
        raise Unprocessable("Order is already on hold")
    if status not in NOT_SENT:
        raise Unprocessable(f"Only orders not yet sent can be held; this order is {status}")
    hold(session, order, reason=reason or "Held manually", actor=actor, component=COMPONENT)
    return order


def release_order(session: Session, order: Order, *, actor: str, remember_rule: bool = True) -> None:
    """Back to pending and through the rules again. A rule hold a person released never holds it again."""
    reason = order.hold_reason
    if remember_rule and order.hold_rule_id:
        order.released_hold_rules = list(
            dict.fromkeys([*(order.released_hold_rules or []), order.hold_rule_id])
        )
    orders_service.change_status(
        session, order, OrderStatus.PENDING, actor=actor, component=COMPONENT, reason="released"
    )
    orders_service.record_event(
        session,
        order,
        source="hold",
        type="released",
        component=COMPONENT,
        actor=actor,
        message=f"Hold released by {actor}",
        details={"hold_reason": reason, "rule_id": order.hold_rule_id},
    )
    order.hold_reason = order.held_by = order.hold_rule_id = None
    order.hold_until = None
    enqueue_evaluation(session, [order.id])


def release(session: Session, principal: Principal, order_id: str, *, actor: str) -> Order:
    order = orders_service.get_order(session, principal, order_id, for_update=True)
    if order.status != OrderStatus.HOLD.value:
        raise Unprocessable(f"Only held orders can be released; this order is {order.status}")
    release_order(session, order, actor=actor)
    return order


def retry(session: Session, principal: Principal, order_id: str, *, actor: str) -> Order:
    """Re-queue a failed order now; a manual retry starts the automatic-retry count again."""
    order = orders_service.get_order(session, principal, order_id, for_update=True)
    if order.status != OrderStatus.FAILED.value:
        raise Unprocessable(f"Only failed orders can be retried; this order is {order.status}")
    order.retry_count = 0
    connection = (
        connections_repository.get(session, order.account_id, order.connection_id)
        if order.connection_id
        else None
    )
    orders_service.record_event(
        session,
        order,
        source="push",
        type="manual_retry",
        component=COMPONENT,
        actor=actor,
        message=f"Retry requested by {actor}",
        details={},
    )
    if connection is None:
        orders_service.change_status(session, order, OrderStatus.PENDING, actor=actor, component=COMPONENT)
        enqueue_evaluation(session, [order.id])
    else:
        orders_service.change_status(session, order, OrderStatus.READY, actor=actor, component=COMPONENT)
        enqueue(session, "order.dispatch", {"order_id": str(order.id)}, ordering_key=f"order:{order.id}")
    return order


def reset(session: Session, principal: Principal, order_id: str, *, actor: str) -> Order:
    """Send the order again from the start: routing and errors forgotten, back to pending, the rules
    run again. Only where no destination can hold it (orders.domain.RESETTABLE: pending, failed)."""
    order = orders_service.get_order(session, principal, order_id, for_update=True)
    status = OrderStatus(order.status)
    if status not in RESETTABLE:
        allowed = " or ".join(sorted(s.value for s in RESETTABLE))
        raise Unprocessable(f"Only {allowed} orders can be reset; this order is {status}")
    if order.brokering_queue is not None:
        raise Unprocessable("This order waits for a brokering run; it is routed by the next run")
    previous = {
        "status": status.value,
        "connection": order.route_destination_label,
        "assigned_by": order.route_assigned_by,
        "retry_count": order.retry_count,
        "error": order.error_message,
    }
    order.connection_id = None
    order.route_destination_type = order.route_destination_label = order.route_assigned_by = None
    order.retry_count = 0
    order.error_message = order.error_category = None
    orders_service.record_event(
        session,
        order,
        source="lifecycle",
        type="reset",
        component=COMPONENT,
        actor=actor,
        message=f"Order reset by {actor}: routing cleared, evaluated again from the start",
        details={"previous": previous},
    )
    if status is not OrderStatus.PENDING:
        orders_service.change_status(
            session, order, OrderStatus.PENDING, actor=actor, component=COMPONENT, reason="reset"
        )
    order.updated_at = utcnow()
    enqueue_evaluation(session, [order.id])
    return order


def assign(session: Session, principal: Principal, order_id: str, connection_id: str, *, actor: str) -> Order:
    """Manual routing of an order no rule routed (or a failed one to another connection)."""
    order = orders_service.get_order(session, principal, order_id, for_update=True)
    if order.status not in (OrderStatus.PENDING.value, OrderStatus.FAILED.value):
        raise Unprocessable(f"Only pending or failed orders can be assigned; this order is {order.status}")
    parsed = parse_uuid(connection_id)
    connection = connections_repository.get(session, principal.account_id, parsed) if parsed else None
    if connection is None:
        raise NotFound(f"Connection {connection_id} not found")
    if connection.type not in DESTINATION_TYPES:
        raise Unprocessable(
            f"{connection.name} is a {connection.type} sales channel, not a fulfillment destination"
        )
    order.retry_count = 0
    route(session, order, connection, assigned_by="manual", actor=actor, component=COMPONENT)
    return order


def clear_duplicate_flag(session: Session, principal: Principal, order_id: str, *, actor: str) -> Order:
    """Lets the same external_id (or channel order) be ingested again; this order keeps its data."""
    order = orders_service.get_order(session, principal, order_id, for_update=True)
    if order.dedup_key is None and order.channel_dedup_key is None:
        raise Unprocessable("The duplicate flag of this order is already cleared")
    order.dedup_key = order.channel_dedup_key = None
    order.duplicate_cleared_at = utcnow()
    orders_service.record_event(
        session,
        order,
        source="audit",
        type="duplicate_flag_cleared",
        component=COMPONENT,
        actor=actor,
        message=f"Duplicate flag cleared by {actor}",
        details={},
    )
    return order


def tracking_read(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "external_id": order.external_id,
        "status": order.status,
        "extensiv_status": order.destination_status,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "service_level": order.service_level,
        "shipped_at": order.shipped_at,
        "estimated_delivery": order.estimated_delivery,
        "delivered_at": order.delivered_at,
    }


def _count(session: Session, principal: Principal, *conditions: Any) -> int:
    query = (
        select(func.count()).select_from(Order).where(Order.account_id == principal.account_id, *conditions)
    )
    if principal.sub_client_id is not None:
        query = query.where(Order.sub_client_id == principal.sub_client_id)
    return int(session.scalar(query) or 0)


def health(session: Session, principal: Principal, *, stuck_after_minutes: int) -> dict[str, Any]:
    now = utcnow()
    stuck_before = now - dt.timedelta(minutes=stuck_after_minutes)
    in_flight = (OrderStatus.PENDING.value, OrderStatus.READY.value, OrderStatus.PROCESSING.value)
    oldest_ready = session.scalar(
        select(func.min(Order.updated_at)).where(
            Order.account_id == principal.account_id, Order.status == OrderStatus.READY.value
        )
    )
    needs_attention = _count(
        session, principal, Order.status == OrderStatus.FAILED.value, Order.retry_count >= 5
    )
    hour_ago, day_ago = now - dt.timedelta(hours=1), now - dt.timedelta(days=1)
    connections = []
    for connection in connections_repository.for_account(session, principal.account_id):
        connections.append(
            {
                "id": connection.id,
                "name": connection.name,
                "type": connection.type,
                "last_success_at": connection.last_success_at,
                "last_error_at": connection.last_error_at,
                "last_error": connection.last_error,
                "last_hour": _call_stats(session, connection, hour_ago),
                "last_day": _call_stats(session, connection, day_ago),
            }
        )
    return {
        "failed": _count(session, principal, Order.status == OrderStatus.FAILED.value),
        "failed_needing_attention": needs_attention,
        "held": _count(session, principal, Order.status == OrderStatus.HOLD.value),
        "stuck": {
            "threshold_minutes": stuck_after_minutes,
            "count": _count(session, principal, Order.status.in_(in_flight), Order.updated_at < stuck_before),
        },
        "oldest_ready_age_seconds": int((now - oldest_ready).total_seconds()) if oldest_ready else None,
        "connections": connections,
        "notifications": webhooks_service.health_notifications(session, principal),
    }


def _call_stats(session: Session, connection: Connection, since: dt.datetime) -> dict[str, Any]:
    rows = session.execute(
        select(ConnectionCall.ok, func.count())
        .where(ConnectionCall.connection_id == connection.id, ConnectionCall.occurred_at >= since)
        .group_by(ConnectionCall.ok)
    ).all()
    counts = {bool(ok): int(n) for ok, n in rows}
    total = counts.get(True, 0) + counts.get(False, 0)
    return {
        "calls": total,
        "errors": counts.get(False, 0),
        "error_rate": round(counts.get(False, 0) / total, 4) if total else 0.0,
    }
