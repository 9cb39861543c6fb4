"""Brokering's pure rules: queues, order types, schedules and how a split parent follows its children.

No database or web framework here; `engine.py` (the routing planner) is pure too.
"""

from __future__ import annotations

import datetime as dt
import enum
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any


class Queue(enum.StrEnum):
    """Where an order waits while brokering owns it (`orders.brokering_queue`)."""

    BROKERING = "brokering"
    REJECTED = "rejected"
    UNFILLABLE = "unfillable"
    UNFILLABLE_HOLD = "unfillable_hold"
    PREORDER = "preorder"
    BACKORDER = "backorder"


# Queues a run plans from (parked pre-orders and backorders are released into BROKERING first).
PLANNED_QUEUES = (Queue.BROKERING, Queue.REJECTED, Queue.UNFILLABLE, Queue.UNFILLABLE_HOLD)
PARKED_QUEUES = (Queue.PREORDER, Queue.BACKORDER)


class OrderType(enum.StrEnum):
    STANDARD = "standard"
    BOPIS = "bopis"
    PREORDER = "preorder"
    BACKORDER = "backorder"


# Where an order says what it is (docs/brokering.md): metadata keys, or a tag for channels that only
# carry tags (Shopify line-item tags become order tags at ingest).
TYPE_KEY = "order_type"
PICKUP_KEY = "pickup_location_id"
PROMISE_KEY = "promise_date"
TYPE_TAGS = {"BOPIS": OrderType.BOPIS, "PRE-ORDER": OrderType.PREORDER, "BACKORDER": OrderType.BACKORDER}


class BadOrderType(ValueError):
    pass


def order_type_of(metadata: Mapping[str, Any], tags: Iterable[str]) -> OrderType:
    """`metadata.order_type` when given (an unknown value is an error the timeline shows), else a tag."""
    raw = metadata.get(TYPE_KEY)
    if raw is not None:
        try:
            return OrderType(str(raw).strip().lower())
        except ValueError:
            allowed = ", ".join(t.value for t in OrderType)
            raise BadOrderType(f"metadata.order_type {raw!r} is not one of {allowed}") from None
    upper = {str(t).upper() for t in tags}
    for tag, kind in TYPE_TAGS.items():
        if tag in upper:
            return kind
    return OrderType.STANDARD


def promise_date_of(metadata: Mapping[str, Any]) -> dt.datetime | None:
    """`metadata.promise_date`: a date (00:00 UTC that day) or an RFC 3339 time; None if absent/bad."""
    raw = metadata.get(PROMISE_KEY)
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parked_queue(kind: OrderType) -> Queue | None:
    return {OrderType.PREORDER: Queue.PREORDER, OrderType.BACKORDER: Queue.BACKORDER}.get(kind)


def next_daily(now: dt.datetime, daily_at: str, timezone: str) -> dt.datetime:
    """The next HH:MM in `timezone` strictly after `now` (UTC), so DST moves with the wall clock."""
    zone = zoneinfo.ZoneInfo(timezone)
    hour, minute = (int(part) for part in daily_at.split(":"))
    local = now.astimezone(zone)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + dt.timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate.astimezone(dt.UTC)


def day_start(now: dt.datetime, timezone: str) -> dt.datetime:
    """Midnight of `now`'s day in `timezone`, in UTC: daily capacity counts from there."""
    local = now.astimezone(zoneinfo.ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


# A split parent's status follows its children: the least advanced of the children that are not
# cancelled (a held or pending child counts as pending, a failed one as ready), and cancelled only when
# every child is. It only ever moves forward; `follow` returns the steps to take, each a legal move.
_RANK = {"pending": 0, "hold": 0, "failed": 1, "ready": 1, "processing": 2, "shipped": 3, "delivered": 4}
_BY_RANK = ("pending", "ready", "processing", "shipped", "delivered")


def parent_status(children: Iterable[str]) -> str | None:
    statuses = list(children)
    if not statuses:
        return None
    live = [s for s in statuses if s != "cancelled"]
    if not live:
        return "cancelled"
    return _BY_RANK[min(_RANK[s] for s in live)]


def parent_steps(current: str, children: Iterable[str]) -> list[str]:
    """The statuses the parent passes through to follow its children (empty: it stays)."""
    target = parent_status(children)
    if target is None or target == current or current in ("cancelled", "delivered"):
        return []
    if target == "cancelled":
        return ["cancelled"]
    if current not in _BY_RANK or _BY_RANK.index(target) <= _BY_RANK.index(current):
        return []
    # pending → delivered is not one legal move; step through shipped.
    steps = [target] if target != "delivered" or current != "pending" else ["shipped", "delivered"]
    return steps
