"""The order lifecycle as data. Pure: no framework or database imports.

Wire statuses (docs/decisions.md): pending → ready → processing ("Sent") → shipped → delivered, plus
hold, failed and cancelled. TRANSITIONS is every move the service itself may make; API_TRANSITIONS is
the narrower table the Partner API reference gives for PATCH /orders/{id}.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    HOLD = "hold"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = OrderStatus

# Every transition the pipeline, a person or a partner may cause.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    # pending → processing/shipped: a warehouse can report an order before our own dispatch does
    # (shipments pushed by the partner, an order marked shipped by the WMS).
    S.PENDING: frozenset({S.READY, S.HOLD, S.CANCELLED, S.FAILED, S.PROCESSING, S.SHIPPED}),
    S.READY: frozenset({S.PENDING, S.PROCESSING, S.HOLD, S.FAILED, S.CANCELLED, S.SHIPPED}),
    S.PROCESSING: frozenset({S.SHIPPED, S.HOLD, S.CANCELLED, S.FAILED, S.PENDING, S.DELIVERED}),
    S.FAILED: frozenset({S.READY, S.PENDING, S.PROCESSING, S.HOLD, S.CANCELLED, S.SHIPPED}),
    S.HOLD: frozenset({S.PENDING, S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}

# The reference's PATCH table: pending/processing → shipped, hold, cancelled; shipped → delivered;
# hold → shipped, cancelled; delivered/cancelled → nothing. ready and failed are pre-shipment states
# like pending, so they follow pending's row (docs/decisions.md).
_PRE_SHIPMENT_TARGETS = frozenset({S.SHIPPED, S.HOLD, S.CANCELLED})
API_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: _PRE_SHIPMENT_TARGETS,
    S.READY: _PRE_SHIPMENT_TARGETS,
    S.PROCESSING: _PRE_SHIPMENT_TARGETS,
    S.FAILED: _PRE_SHIPMENT_TARGETS,
    S.HOLD: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}

PATCHABLE_STATUSES = frozenset({S.SHIPPED, S.DELIVERED, S.HOLD, S.CANCELLED})
TERMINAL = frozenset({S.DELIVERED, S.CANCELLED})
# Orders not yet handed to a destination: holds, edits and manual routing apply only here.
NOT_SENT = frozenset({S.PENDING, S.READY, S.FAILED, S.HOLD})


class IllegalTransition(Exception):
    def __init__(self, current: OrderStatus, target: OrderStatus) -> None:
        self.current = current
        self.target = target
        super().__init__(f"Illegal status transition: {current} → {target}")


@dataclass(frozen=True)
class StatusChanged:
    """The event a transition produces; the service records it on the timeline (and later, outbox)."""

    old_status: OrderStatus
    new_status: OrderStatus

    @property
    def message(self) -> str:
        return f"Status changed: {self.old_status} to {self.new_status}"


def transition(
    current: OrderStatus,
    target: OrderStatus,
    *,
    table: dict[OrderStatus, frozenset[OrderStatus]] = TRANSITIONS,
) -> StatusChanged:
    """Check a move against a transition table; return the event to record or raise IllegalTransition."""
    if target not in table[current]:
        raise IllegalTransition(current, target)
    return StatusChanged(current, target)


def can_cancel(current: OrderStatus) -> bool:
    return current not in (S.SHIPPED, S.DELIVERED)
