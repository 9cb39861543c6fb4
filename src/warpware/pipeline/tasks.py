"""The pipeline's jobs. Each takes an order id, reloads the order and is safe to run twice."""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import uuid
from typing import Any

from sqlalchemy import select

from warpware.config import get_settings
from warpware.connections import service as connections_service
from warpware.connections.models import Connection
from warpware.connectors.base import (
    Address,
    ConnectorError,
    LineItem,
    OutboundOrder,
    PermanentConnectorError,
    RetryableConnectorError,
    ShipmentNotice,
)
from warpware.kit.clock import utcnow
from warpware.labels import service as labels_service
from warpware.orders import repository as orders_repository
from warpware.orders import service as orders_service
from warpware.orders.domain import OrderStatus
from warpware.orders.models import Order
from warpware.pipeline.evaluation import enqueue_evaluation, evaluate_order
from warpware.pipeline.tracking import apply_tracking
from warpware.worker import JobContext, RetryLater, backoff_delay, enqueue, job_handler

log = logging.getLogger("warpware.pipeline")
DISPATCH = "DispatchWorker"
_rng = random.Random()


def _order_id(payload: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(str(payload["order_id"]))


@job_handler("order.evaluate")
def evaluate_job(payload: dict[str, Any], ctx: JobContext) -> None:
    with ctx.finishing() as session:
        order = orders_repository.get_order_unscoped(session, _order_id(payload), for_update=True)
        if order is not None:
            evaluate_order(session, order)


def _outbound(order: Order, lines: list[Any]) -> OutboundOrder:
    address = order.shipping_address or {}
    return OutboundOrder(
        reference=str(order.id),
        external_id=order.external_id,
        line_items=tuple(
            LineItem(sku=li.sku, quantity=li.quantity, price=li.price, name=li.name, uom=li.uom)
            for li in lines
        ),
        shipping_address=Address(
            name=address.get("name", ""),
            address1=address.get("address1", ""),
            city=address.get("city", ""),
            state=address.get("state", ""),
            zip=address.get("zip", ""),
            country=address.get("country", "US"),
            address2=address.get("address2"),
            phone=address.get("phone"),
            company=address.get("company"),
        ),
        customer_email=order.customer_email,
        customer_name=order.customer_name,
        note=order.note,
        carrier=order.carrier,
        service_level=order.service_level,
        metadata=dict(order.meta or {}),
    )


@job_handler("order.dispatch")
def dispatch_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Send a ready order to its connection. The order id is the destination's reference, so a resend
    after a crash finds the first send instead of creating a second warehouse order."""
    order_id = _order_id(payload)
    with ctx.database.reading() as session:
        order = orders_repository.get_order_unscoped(session, order_id)
        if order is None or order.status != OrderStatus.READY.value or order.connection_id is None:
            return
        connection = session.get(Connection, order.connection_id)
        lines = orders_repository.lines_for(session, [order.id])[order.id]
        outbound = _outbound(order, lines)
    if connection is None or connection.deleted_at is not None:
        with ctx.finishing() as session:
            _fail(
                session,
                order_id,
                connection,
                PermanentConnectorError(
                    "The order's connection no longer exists; assign another", category="validation"
                ),
                0,
            )
        return
    started = time.monotonic()
    try:
        result = connections_service.destination_for(connection).submit(outbound)
    except ConnectorError as exc:
        with ctx.finishing() as session:
            _fail(session, order_id, connection, exc, int((time.monotonic() - started) * 1000))
        return
    duration_ms = int((time.monotonic() - started) * 1000)
    with ctx.finishing() as session:
        order = orders_repository.get_order_unscoped(session, order_id, for_update=True)
        live = session.get(Connection, connection.id)
        if order is None or live is None:
            return
        connections_service.record_call(
            session, live, operation="submit", ok=True, duration_ms=duration_ms, order_id=order_id
        )
        order.destination_order_id = result.destination_order_id
        order.destination_status = result.raw_status
        order.processed_at = utcnow()
        order.error_message = order.error_category = None
        orders_service.record_event(
            session,
            order,
            source="push",
            type="push_success",
            component=DISPATCH,
            message=f"Order pushed to {connection.name} (ID: {result.destination_order_id})"
            + (" — already there from an earlier send" if result.already_existed else ""),
            details={
                "destination_order_id": result.destination_order_id,
                "duration_ms": duration_ms,
                "response_status": result.response_status,
                "already_existed": result.already_existed,
                "connection_id": str(connection.id),
            },
        )
        if order.status == OrderStatus.READY.value:
            orders_service.change_status(
                session, order, OrderStatus.PROCESSING, actor="dispatch", component=DISPATCH
            )
            _schedule_poll(session, order)
            labels_service.enqueue_injection(session, order)  # labels attached before the push go now
        elif order.status == OrderStatus.CANCELLED.value:
            # Cancelled while the send was in flight: take it back at the destination.
            enqueue(
                session, "order.cancel_remote", {"order_id": str(order_id)}, ordering_key=f"order:{order_id}"
            )


def _schedule_poll(session: Any, order: Order) -> None:
    delay = get_settings().tracking_poll_seconds
    # Jobs due later carry no ordering key: a key would make every job of the order queue behind them.
    enqueue(
        session,
        "order.poll_tracking",
        {"order_id": str(order.id)},
        run_at=utcnow() + dt.timedelta(seconds=delay),
    )


def _fail(
    session: Any, order_id: uuid.UUID, connection: Connection | None, error: ConnectorError, duration_ms: int
) -> None:
    settings = get_settings()
    order = orders_repository.get_order_unscoped(session, order_id, for_update=True)
    if order is None or order.status != OrderStatus.READY.value:
        return
    if connection is not None:
        live = session.get(Connection, connection.id)
        if live is not None:
            connections_service.record_call(
                session,
                live,
                operation="submit",
                ok=False,
                duration_ms=duration_ms,
                order_id=order_id,
                error=error,
            )
    order.retry_count += 1
    order.error_message = error.message[:2000]
    order.error_category = error.category
    orders_service.change_status(session, order, OrderStatus.FAILED, actor="dispatch", component=DISPATCH)
    attempt = order.retry_count
    details: dict[str, Any] = {
        "attempt": attempt,
        "error_category": error.category,
        "error": error.message,
        "status_code": error.status_code,
    }
    retryable = error.category != "validation"
    if retryable and attempt < settings.dispatch_max_attempts:
        retry_after = error.retry_after if isinstance(error, RetryableConnectorError) else None
        delay = (
            retry_after
            if retry_after is not None
            else backoff_delay(
                attempt,
                base=settings.dispatch_retry_base_seconds,
                cap=settings.dispatch_retry_cap_seconds,
                rng=_rng,
            )
        )
        next_at = utcnow() + dt.timedelta(seconds=delay)
        details["next_attempt_at"] = next_at.isoformat()
        enqueue(session, "order.retry", {"order_id": str(order_id), "attempt": attempt}, run_at=next_at)
        message = (
            f"Push failed (attempt {attempt} of {settings.dispatch_max_attempts}, {error.category}): "
            f"{error.message}; next attempt in {delay:.0f} s"
        )
    else:
        message = (
            f"Push failed ({error.category}): {error.message}; automatic retries stopped, "
            "the order needs a person"
        )
        details["needs_attention"] = True
    orders_service.record_event(
        session,
        order,
        source="push",
        type="push_failed",
        component=DISPATCH,
        message=message,
        details=details,
    )
    if "needs_attention" in details:
        orders_service.record_event(
            session,
            order,
            source="notification",
            type="order.failed",
            component=DISPATCH,
            message=f"Order failed and needs attention: {error.message}",
            details={"error_message": error.message, "error_type": error.category},
        )


@job_handler("order.retry")
def retry_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """An automatic retry; it does nothing if a person acted on the order since it was scheduled."""
    with ctx.finishing() as session:
        order = orders_repository.get_order_unscoped(session, _order_id(payload), for_update=True)
        if (
            order is None
            or order.status != OrderStatus.FAILED.value
            or order.retry_count != payload.get("attempt")
        ):
            return
        orders_service.change_status(
            session,
            order,
            OrderStatus.READY,
            actor="dispatch",
            component=DISPATCH,
            reason=f"Automatic retry {order.retry_count + 1}",
        )
        enqueue(session, "order.dispatch", {"order_id": str(order.id)}, ordering_key=f"order:{order.id}")


@job_handler("order.poll_tracking")
def poll_tracking_job(payload: dict[str, Any], ctx: JobContext) -> None:
    order_id = _order_id(payload)
    with ctx.database.reading() as session:
        order = orders_repository.get_order_unscoped(session, order_id)
        if order is None or order.status != OrderStatus.PROCESSING.value or order.connection_id is None:
            return
        connection = session.get(Connection, order.connection_id)
        reference, remote_id = str(order.id), order.destination_order_id
    if connection is None:
        return
    started = time.monotonic()
    try:
        update = connections_service.destination_for(connection).poll_tracking(reference, remote_id)
    except RetryableConnectorError as exc:
        raise RetryLater(exc.retry_after or get_settings().tracking_poll_seconds, exc.message) from exc
    except ConnectorError as exc:
        with ctx.finishing() as session:
            live = session.get(Connection, connection.id)
            if live is not None:
                connections_service.record_call(
                    session,
                    live,
                    operation="poll",
                    ok=False,
                    order_id=order_id,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    error=exc,
                )
            order = orders_repository.get_order_unscoped(session, order_id)
            if order is not None and order.status == OrderStatus.PROCESSING.value:
                _schedule_poll(session, order)
        return
    with ctx.finishing() as session:
        order = orders_repository.get_order_unscoped(session, order_id, for_update=True)
        if order is None or order.status != OrderStatus.PROCESSING.value:
            return
        if update is not None:
            apply_tracking(session, order, update, via=f"poll:{connection.type}")
        if order.status == OrderStatus.PROCESSING.value:
            _schedule_poll(session, order)


@job_handler("order.auto_release")
def auto_release_job(payload: dict[str, Any], ctx: JobContext) -> None:
    from warpware.pipeline.service import release_order

    with ctx.finishing() as session:
        order = orders_repository.get_order_unscoped(session, _order_id(payload), for_update=True)
        if order is None or order.status != OrderStatus.HOLD.value or order.hold_until is None:
            return
        if order.hold_until.isoformat() != payload.get("hold_until") or order.hold_until > utcnow():
            return
        # The hold has served its time: that rule does not hold the order again.
        release_order(session, order, actor="scheduler")


STOCK_RECHECK_SECONDS = 60


def ensure_schedules(database: Any) -> None:
    """The pipeline's periodic jobs, as durable schedules (an upsert: every worker start may call it)."""
    from warpware.brokering.tasks import AUTO_CANCEL, AUTO_CANCEL_SECONDS
    from warpware.worker import schedule

    with database.writing() as session:
        schedule(session, "orders.recheck_stock_holds", STOCK_RECHECK_SECONDS)
        schedule(session, AUTO_CANCEL, AUTO_CANCEL_SECONDS)


@job_handler("orders.recheck_stock_holds")
def recheck_stock_holds_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Release inventory-watch holds whose SKUs are back in stock; they go through the rules again."""
    from warpware.pipeline.evaluation import stock_for
    from warpware.pipeline.service import release_order

    with ctx.finishing() as session:
        held = session.scalars(
            select(Order)
            .where(Order.status == OrderStatus.HOLD.value, Order.held_by.like("inventory:%"))
            .order_by(Order.seq)
            .limit(500)
            .with_for_update()
        ).all()
        for order in held:
            needed: dict[str, int] = {}
            for line in orders_repository.lines_for(session, [order.id])[order.id]:
                needed[line.sku] = needed.get(line.sku, 0) + line.quantity
            stock = stock_for(session, order, set(needed))
            if all(stock.get(sku, qty) >= qty for sku, qty in needed.items()):
                release_order(session, order, actor="inventory watch", remember_rule=False)


@job_handler("order.cancel_remote")
def cancel_remote_job(payload: dict[str, Any], ctx: JobContext) -> None:
    order_id = _order_id(payload)
    with ctx.database.reading() as session:
        order = orders_repository.get_order_unscoped(session, order_id)
        if order is None or order.connection_id is None:
            return
        connection = session.get(Connection, order.connection_id)
        reference, remote_id = str(order.id), order.destination_order_id
    if connection is None:
        return
    try:
        connections_service.destination_for(connection).cancel(reference, remote_id)
    except RetryableConnectorError as exc:
        raise RetryLater(exc.retry_after, exc.message) from exc
    except ConnectorError as exc:
        with ctx.finishing() as session:
            order = orders_repository.get_order_unscoped(session, order_id)
            if order is not None:
                orders_service.record_event(
                    session,
                    order,
                    source="push",
                    type="remote_cancel_failed",
                    component=DISPATCH,
                    message=f"Cancel at destination failed: {exc.message}",
                    details={"error_category": exc.category},
                )
        return
    with ctx.finishing() as session:
        order = orders_repository.get_order_unscoped(session, order_id)
        if order is not None:
            orders_service.record_event(
                session,
                order,
                source="push",
                type="remote_cancelled",
                component=DISPATCH,
                message=f"Order cancelled at {connection.name}",
                details={},
            )


@job_handler("order.writeback")
def writeback_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Write tracking back to the sales channel the order came from; every attempt is on the timeline."""
    order_id = _order_id(payload)
    with ctx.database.reading() as session:
        order = orders_repository.get_order_unscoped(session, order_id)
        if order is None or order.channel_connection_id is None or not order.tracking_number:
            return
        channel = session.get(Connection, order.channel_connection_id)
        lines = orders_repository.lines_for(session, [order.id])[order.id]
        notice = ShipmentNotice(
            order_id=str(order.id),
            external_id=order.external_id,
            channel_order_id=order.channel_order_id,
            carrier=order.carrier,
            tracking_number=order.tracking_number,
            service_level=order.service_level,
            shipped_at=order.shipped_at,
            line_items=tuple(
                LineItem(sku=li.sku, quantity=li.quantity, channel_line_id=li.channel_line_id) for li in lines
            ),
        )
    if channel is None:
        return
    started = time.monotonic()
    try:
        connections_service.writer_for(channel).write_tracking(notice)
    except ConnectorError as exc:
        final = not isinstance(exc, RetryableConnectorError) or ctx.attempt >= ctx.max_attempts
        with ctx.finishing() if final else ctx.database.writing() as session:
            _record_writeback(
                session,
                order_id,
                channel,
                ok=False,
                error=exc,
                attempt=ctx.attempt,
                final=final,
                duration_ms=int((time.monotonic() - started) * 1000),
            )
        if not final:
            assert isinstance(exc, RetryableConnectorError)
            raise RetryLater(exc.retry_after, exc.message) from exc
        return
    with ctx.finishing() as session:
        _record_writeback(
            session,
            order_id,
            channel,
            ok=True,
            error=None,
            attempt=ctx.attempt,
            final=True,
            duration_ms=int((time.monotonic() - started) * 1000),
        )


def _record_writeback(
    session: Any,
    order_id: uuid.UUID,
    channel: Connection,
    *,
    ok: bool,
    error: ConnectorError | None,
    attempt: int,
    final: bool,
    duration_ms: int,
) -> None:
    order = orders_repository.get_order_unscoped(session, order_id)
    live = session.get(Connection, channel.id)
    if order is None or live is None:
        return
    connections_service.record_call(
        session, live, operation="writeback", ok=ok, order_id=order_id, duration_ms=duration_ms, error=error
    )
    if ok:
        orders_service.record_event(
            session,
            order,
            source="writeback",
            type="writeback_success",
            component="WritebackWorker",
            message=f"Tracking written back to {channel.name} ({channel.type})",
            details={
                "connection_id": str(channel.id),
                "attempt": attempt,
                "tracking_number": order.tracking_number,
            },
        )
        return
    assert error is not None
    orders_service.record_event(
        session,
        order,
        source="writeback",
        type="writeback_failed",
        component="WritebackWorker",
        message=f"Tracking writeback to {channel.name} failed ({error.category}): {error.message}"
        + ("; giving up" if final else "; will retry"),
        details={
            "connection_id": str(channel.id),
            "attempt": attempt,
            "error_category": error.category,
            "final": final,
        },
    )


__all__ = ["enqueue_evaluation"]
