"""Applying what a destination says about an order (polled or pushed) to the order."""

from __future__ import annotations

from sqlalchemy.orm import Session

from warpware.connectors.base import TrackingUpdate
from warpware.kit.clock import utcnow
from warpware.orders import service as orders_service
from warpware.orders.domain import OrderStatus
from warpware.orders.models import Order
from warpware.worker import enqueue

COMPONENT = "TrackingService"


def apply_tracking(session: Session, order: Order, update: TrackingUpdate, *, via: str) -> bool:
    """Move the order as the destination reports; True when it reached a final fulfillment state."""
    now = utcnow()
    status = OrderStatus(order.status)
    order.destination_status = update.raw_status
    if update.status in ("shipped", "delivered") and status in (
        OrderStatus.PROCESSING,
        OrderStatus.READY,
        OrderStatus.FAILED,
        OrderStatus.PENDING,
    ):
        order.carrier = update.carrier or order.carrier
        order.tracking_number = update.tracking_number or order.tracking_number
        order.service_level = update.service_level or order.service_level
        order.shipped_at = update.shipped_at or now
        order.estimated_delivery = update.estimated_delivery or order.estimated_delivery
        orders_service.change_status(session, order, OrderStatus.SHIPPED, actor=via, component=COMPONENT)
        orders_service.record_event(
            session,
            order,
            source="tracking",
            type="tracking_received",
            component=COMPONENT,
            actor=via,
            message=(
                f"Tracking received: {order.carrier or 'carrier unknown'} {order.tracking_number or ''}"
            ).strip(),
            details={
                "carrier": order.carrier,
                "tracking_number": order.tracking_number,
                "service_level": order.service_level,
                "destination_status": update.raw_status,
                "via": via,
            },
        )
        if order.channel_connection_id is not None:
            enqueue(
                session,
                "order.writeback",
                {"order_id": str(order.id)},
                ordering_key=f"writeback:{order.id}",
                max_attempts=8,
            )
        status = OrderStatus.SHIPPED
    if update.status == "delivered" and status is OrderStatus.SHIPPED:
        order.delivered_at = update.delivered_at or now
        orders_service.change_status(session, order, OrderStatus.DELIVERED, actor=via, component=COMPONENT)
        return True
    if update.status == "cancelled" and status not in (
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.CANCELLED,
    ):
        orders_service.change_status(
            session,
            order,
            OrderStatus.CANCELLED,
            actor=via,
            component=COMPONENT,
            reason="Cancelled at the destination",
            tell_destination=False,
        )
        order.cancelled_at, order.cancel_reason = now, "Cancelled at the destination"
        return True
    if update.status == "failed" and status is OrderStatus.PROCESSING:
        order.error_message = update.error_message or f"Destination reports {update.raw_status}"
        order.error_category = "validation"
        orders_service.change_status(session, order, OrderStatus.FAILED, actor=via, component=COMPONENT)
        return True
    order.updated_at = now
    return status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED) and update.status == "shipped"
