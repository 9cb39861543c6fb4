"""Attaching labels to orders, and queueing their injection into the order's destination."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.errors import Conflict, Unprocessable
from warpware.kit.clock import utcnow
from warpware.labels import repository
from warpware.labels.models import OrderLabel
from warpware.labels.schemas import LabelCreate
from warpware.orders import service as orders_service
from warpware.orders.domain import OrderStatus
from warpware.orders.models import Order
from warpware.worker import enqueue

INJECT_JOB = "order.inject_labels"
COMPONENT = "LabelService"
MAX_LABELS_PER_ORDER = 100
CLOSED = frozenset({OrderStatus.SHIPPED.value, OrderStatus.DELIVERED.value, OrderStatus.CANCELLED.value})


@dataclass(frozen=True)
class Attached:
    label: OrderLabel
    order: Order
    message: str


def attach(
    session: Session, principal: Principal, order_ref: str, body: LabelCreate, *, actor: str
) -> Attached:
    """Attach a label to an order (UUID or external_id). Before the push it waits for the push; after
    it, it is injected at once. 409 for a tracking number the order already has a label for."""
    order = orders_service.get_order_by_any_id(session, principal, order_ref, for_update=True)
    if order.status in CLOSED:
        raise Unprocessable(f"Cannot attach a label to an order that is {order.status}")
    if repository.by_tracking(session, order.id, body.tracking_number) is not None:
        raise Conflict(
            f"A label with tracking_number {body.tracking_number} is already attached to this order"
        )
    if repository.count_for_order(session, order.id) >= MAX_LABELS_PER_ORDER:
        raise Unprocessable(f"An order can have at most {MAX_LABELS_PER_ORDER} labels")
    now = utcnow()
    label = OrderLabel(
        account_id=order.account_id,
        order_id=order.id,
        tracking_number=body.tracking_number,
        carrier=body.carrier,
        service_level=body.service_level,
        label_url=body.label_url,
        label_format=body.label_format,
        weight=body.weight,
        weight_unit=body.weight_unit,
        cost=body.cost,
        currency=body.currency,
        passed_to_extensiv=False,
        created_by=actor,
        created_at=now,
    )
    repository.add(session, label)
    orders_service.record_event(
        session,
        order,
        type="label_attached",
        message=f"Shipping label attached: {body.carrier} {body.tracking_number}",
        details={
            "label_id": str(label.id),
            "tracking_number": body.tracking_number,
            "carrier": body.carrier,
            "label_url": body.label_url,
        },
        actor=actor,
        now=now,
    )
    if body.label_url is None:
        message = "Label attached — it has no label_url, so there is nothing to inject"
    elif order.destination_order_id is not None:
        enqueue_injection(session, order)
        message = "Label attached — the order is already at the warehouse; injecting now"
    else:
        message = "Label attached — will be injected when order pushes to Extensiv"
    return Attached(label, order, message)


def enqueue_injection(session: Session, order: Order) -> None:
    """Queue the injection of the order's labels that have not reached its destination (after a push)."""
    if repository.pending_injection(session, order.id):
        enqueue(session, INJECT_JOB, {"order_id": str(order.id)}, ordering_key=f"order:{order.id}")


def for_order(session: Session, order: Order) -> list[OrderLabel]:
    """The order's labels, oldest first (the caller has already loaded the order in its scope)."""
    return repository.for_order(session, order.id)
