"""Called by `orders.service.change_status` for brokered orders: the one place every status change of
every path (pipeline, PATCH, cancel, tracking) passes through."""

from __future__ import annotations

from sqlalchemy.orm import Session

from warpware.brokering import repository
from warpware.brokering.domain import parent_steps
from warpware.orders import repository as orders_repository
from warpware.orders.domain import OrderStatus, can_cancel
from warpware.orders.models import Order

COMPONENT = "BrokeringService"


def on_status_change(session: Session, order: Order, old: OrderStatus, new: OrderStatus) -> None:
    if new is OrderStatus.CANCELLED:
        order.brokering_queue = None  # a cancelled order waits for nothing
        state = repository.state_for(session, order.id)
        if state is not None and state.split_parent:
            cancel_children(session, order)
    if order.parent_order_id is not None:
        follow_children(session, order.parent_order_id)


def cancel_children(session: Session, parent: Order) -> None:
    """Cancelling a split order cancels its shipments that have not shipped (each through the ordinary
    status change: stock released, the warehouse told if it had the shipment, `order.cancelled`)."""
    from warpware.orders import service as orders_service  # it imports this module lazily

    session.flush()
    for child in repository.children(session, parent.id):
        if not can_cancel(OrderStatus(child.status)) or child.status == OrderStatus.CANCELLED.value:
            continue
        reason = f"its order {parent.external_id} was cancelled"
        orders_service.change_status(
            session, child, OrderStatus.CANCELLED, actor="brokering", component=COMPONENT, reason=reason
        )
        child.cancel_reason, child.cancelled_at = reason, child.updated_at
        orders_service.record_event(
            session,
            child,
            type="cancelled",
            source="lifecycle",
            component=COMPONENT,
            actor="brokering",
            message=f"Order cancelled: {reason}",
            details={"reason": reason},
        )


def follow_children(session: Session, parent_id: object) -> None:
    """Move a brokered split parent to the status its shipments add up to (domain.parent_steps)."""
    from warpware.orders import service as orders_service  # it imports this module lazily

    state = repository.state_for(session, parent_id)  # type: ignore[arg-type]
    if state is None or not state.split_parent:
        return
    parent = orders_repository.get_order_unscoped(session, state.order_id, for_update=True)
    if parent is None:
        return
    session.flush()  # the child's new status (brokering runs without autoflush)
    statuses = repository.children_statuses(session, parent.id)
    for step in parent_steps(parent.status, statuses):
        target = OrderStatus(step)
        orders_service.change_status(
            session,
            parent,
            target,
            actor="brokering",
            component=COMPONENT,
            reason="follows its shipments",
            tell_destination=False,
        )
        now = parent.updated_at
        if target is OrderStatus.SHIPPED and parent.shipped_at is None:
            parent.shipped_at = now
        elif target is OrderStatus.DELIVERED and parent.delivered_at is None:
            parent.delivered_at = now
        elif target is OrderStatus.CANCELLED:
            parent.cancelled_at = now
