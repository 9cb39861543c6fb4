"""The order lifecycle as data. Pure: no framework or database imports.

Wire statuses (docs/decisions.md): pending → ready → processing ("Sent") → shipped → delivered, plus
hold, failed and cancelled. TRANSITIONS is every move the service itself may make; API_TRANSITIONS is
the narrower table the Partner API reference gives for PATCH /orders/{id}.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote


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


# --- What a person may do to an order from the dashboard (docs/decisions.md "Dashboard order actions")

# Edits of the address and lines: only while no dispatch can be reading the order. `ready` is left out
# because the dispatch job reads a ready order and sends it outside any lock (hold it, edit, release);
# a failed order is sent again only by a retry, which reads the edited rows.
EDITABLE = frozenset({S.PENDING, S.HOLD, S.FAILED})
# Reset (routing forgotten, back to pending, rules again): never once a destination may hold the order
# (ready may be mid-send, processing and later are there) and not for holds (release is the way out).
RESETTABLE = frozenset({S.PENDING, S.FAILED})
# Archive only what the pipeline is not working on; an archived order leaves every tab but Archived.
ARCHIVABLE = frozenset({S.HOLD, S.FAILED, S.SHIPPED, S.DELIVERED, S.CANCELLED})


def allowed_actions(status: OrderStatus, *, archived: bool, duplicate_flag: bool) -> frozenset[str]:
    """The dashboard's actions this order's state allows (the services enforce the same rules)."""
    actions: set[str] = set()
    if status in NOT_SENT and status is not S.HOLD:
        actions.add("hold")
    if status is S.HOLD:
        actions.add("release")
    if status is S.FAILED:
        actions.add("retry")
    if status is not S.CANCELLED and can_cancel(status):
        actions.add("cancel")
    if status in EDITABLE:
        actions.add("edit")
    if status in RESETTABLE:
        actions.add("reset")
    if archived:
        actions.add("unarchive")
    elif status in ARCHIVABLE:
        actions.add("archive")
    if duplicate_flag:
        actions.add("clear_duplicate")
    return frozenset(actions)


# Carrier tracking pages. USPS is matched before UPS ("usps" contains "ups").
_TRACKING_URLS = (
    ("usps", "https://tools.usps.com/go/TrackConfirmAction?tLabels={}"),
    ("ups", "https://www.ups.com/track?loc=en_US&tracknum={}"),
    ("fedex", "https://www.fedex.com/fedextrack/?trknbr={}"),
    ("dhl", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={}"),
)


def tracking_url(carrier: str | None, tracking_number: str | None) -> str | None:
    """The carrier's public tracking page for this number, or None for an unknown carrier."""
    if not carrier or not tracking_number:
        return None
    name = carrier.lower().replace(" ", "")
    for key, pattern in _TRACKING_URLS:
        if key in name:
            return pattern.format(quote(tracking_number.strip(), safe=""))
    return None
