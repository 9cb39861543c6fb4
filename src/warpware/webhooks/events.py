"""Which webhook events a timeline entry causes. Pure: no database, no HTTP.

Every order change writes a timeline row; this module is the one table from those rows to the
documented webhook events. Each webhook event has exactly one timeline source, so nothing fires twice:
`order.held` comes from the status change to `hold` (the API's PATCH and the pipeline's holds both
make one), `order.released` from the `released` entry (a PATCH out of hold is a ship or a cancel, not
a release). Entries that only add detail to an event of the same change (`held` gives the hold's
end, `push_failed` the attempt and whether a retry is scheduled) are annotations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ORDER_EVENTS = (
    "order.created",
    "order.status_changed",
    "order.shipped",
    "order.delivered",
    "order.failed",
    "order.held",
    "order.released",
    "order.cancelled",
    "order.error",
)
OTHER_EVENTS = ("inventory.updated", "inventory.low_stock", "connection.error", "webhook.test")
EVENT_TYPES = ORDER_EVENTS + OTHER_EVENTS

# The status a status change moves to, and the event that announces arriving there.
ARRIVAL_EVENTS = {
    "shipped": "order.shipped",
    "delivered": "order.delivered",
    "cancelled": "order.cancelled",
    "hold": "order.held",
    "failed": "order.failed",
}
# Timeline entries about a problem with an order that did not (by itself) change its status.
ERROR_ENTRIES = {"route_invalid", "remote_cancel_failed", "writeback_failed"}

# Every timeline type this module reads; others are skipped before any database work.
TIMELINE_TYPES = frozenset({"received", "status_changed", "released", "held", "push_failed", *ERROR_ENTRIES})


@dataclass(frozen=True)
class Emission:
    event: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Annotation:
    """Fields to add to the `event` this same transaction already emitted for the same order."""

    event: str
    fields: dict[str, Any]


def order_events(
    timeline_type: str,
    details: Mapping[str, Any],
    *,
    message: str,
    actor: str | None,
    order: Mapping[str, Any],
) -> tuple[list[Emission], list[Annotation]]:
    """The webhook events (with their own fields, valued now) that one timeline entry causes.

    `order` holds the order's attributes as they are when the entry is written (error_message,
    error_category, hold_reason, cancel_reason): the event's fields are those values, whatever the
    order becomes later.
    """
    if timeline_type == "received":
        return [Emission("order.created")], []
    if timeline_type == "status_changed":
        return _status_changed(details, order), []
    if timeline_type == "released":
        released = {"hold_reason": details.get("hold_reason"), "released_by": actor}
        return [Emission("order.released", released)], []
    if timeline_type == "held":
        until = details.get("hold_until")
        return [], [
            Annotation(
                "order.held",
                {
                    "hold_reason": details.get("reason"),
                    # The timeline keeps ISO text; the payload writes every time the same way (RFC 3339, Z).
                    "hold_until": dt.datetime.fromisoformat(until) if isinstance(until, str) else until,
                },
            )
        ]
    if timeline_type == "push_failed":
        next_at = details.get("next_attempt_at")
        return [], [
            Annotation(
                "order.failed",
                {
                    "error_message": details.get("error"),
                    "error_type": details.get("error_category"),
                    "attempt": details.get("attempt"),
                    "will_retry": next_at is not None,
                    "next_attempt_at": next_at,
                },
            )
        ]
    if timeline_type in ERROR_ENTRIES:
        # A writeback that will be tried again is not yet an error anyone must act on.
        if timeline_type == "writeback_failed" and not details.get("final", True):
            return [], []
        return [Emission("order.error", {"error_message": message, "error_type": timeline_type})], []
    return [], []


def _status_changed(details: Mapping[str, Any], order: Mapping[str, Any]) -> list[Emission]:
    old, new = details.get("old_status"), details.get("new_status")
    changed: dict[str, Any] = {"previous_status": old, "current_status": new}
    if details.get("reason"):
        changed["reason"] = details["reason"]
    emissions = [Emission("order.status_changed", changed)]
    arrival = ARRIVAL_EVENTS.get(str(new))
    if arrival == "order.cancelled":
        emissions.append(Emission(arrival, {"reason": details.get("reason") or order.get("cancel_reason")}))
    elif arrival == "order.held":
        emissions.append(
            Emission(
                arrival,
                {
                    "hold_reason": details.get("reason") or order.get("hold_reason"),
                    "hold_until": order.get("hold_until"),
                },
            )
        )
    elif arrival == "order.failed":
        emissions.append(
            Emission(
                arrival,
                {
                    "error_message": order.get("error_message"),
                    "error_type": order.get("error_category"),
                    "attempt": None,
                    "will_retry": False,
                    "next_attempt_at": None,
                },
            )
        )
    elif arrival is not None:
        emissions.append(Emission(arrival))
    return emissions
