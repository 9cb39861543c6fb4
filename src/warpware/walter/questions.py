"""The built-in question parser: a plain-English question → one tool call with its arguments. Pure.

It knows the questions partners ask most (failures, common errors, holds, where an order is, shipments
by carrier, order counts) and the time phrases in them ("today", "yesterday", "this week", "last 7
days", "past 24 hours", "last month"). Times are read in the caller's time zone (UTC unless the request
context names one) and passed to the tools in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from warpware.kit.jsonio import format_timestamp


@dataclass(frozen=True)
class Period:
    since: dt.datetime | None
    until: dt.datetime | None
    label: str  # how the answer says it: "in the last 7 days", "yesterday", "this week"

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.since is not None:
            args["since"] = format_timestamp(self.since)
        if self.until is not None:
            args["until"] = format_timestamp(self.until)
        return args


@dataclass(frozen=True)
class Plan:
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    period: Period | None = None
    status: str | None = None


_UNITS = {
    "minute": dt.timedelta(minutes=1),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(weeks=1),
}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "ten": 10,
    "fourteen": 14,
    "thirty": 30,
}
_LAST_N = re.compile(
    r"\b(?:last|past|previous)\s+(\d+|" + "|".join(_NUMBER_WORDS) + r")\s+(minute|hour|day|week)s?\b"
)
_LAST_ONE = re.compile(r"\b(?:last|past)\s+(hour|day|24 hours)\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
# "order ORDER-1234", "order #1234", "order number 55", "ORDER-1234": an identifier with a digit in it.
_ORDER_REF = re.compile(
    r"\border\s+(?:number\s+|no\.?\s+|id\s+)?(#?[A-Za-z0-9][\w.#/-]*\d[\w.#/-]*)|(#\d[\w.-]*)|\b([A-Z][A-Z0-9]*-[\w.-]*\d[\w.-]*)",
    re.IGNORECASE,
)
_STATUS_WORDS = {
    "pending": "pending",
    "ready": "ready",
    "processing": "processing",
    "sent": "processing",
    "in transit": "shipped",
    "shipped": "shipped",
    "delivered": "delivered",
    "on hold": "hold",
    "held": "hold",
    "failed": "failed",
    "cancelled": "cancelled",
    "canceled": "cancelled",
}


def _start_of_day(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def period_in(text: str, now: dt.datetime, zone: ZoneInfo) -> Period | None:
    """The time window a question names, or None when it names none."""
    local = now.astimezone(zone)
    today = _start_of_day(local)
    utc = dt.UTC
    if match := _LAST_N.search(text):
        raw, unit = match.group(1), match.group(2)
        amount = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        plural = "s" if amount != 1 else ""
        return Period(now - amount * _UNITS[unit], None, f"in the last {amount} {unit}{plural}")
    if match := _LAST_ONE.search(text):
        span = dt.timedelta(hours=24) if match.group(1) in ("day", "24 hours") else dt.timedelta(hours=1)
        label = "in the last 24 hours" if span == dt.timedelta(hours=24) else "in the last hour"
        return Period(now - span, None, label)
    if "yesterday" in text:
        return Period((today - dt.timedelta(days=1)).astimezone(utc), today.astimezone(utc), "yesterday")
    if "today" in text:
        return Period(today.astimezone(utc), None, "today")
    week = today - dt.timedelta(days=today.weekday())
    if "last week" in text:
        return Period((week - dt.timedelta(weeks=1)).astimezone(utc), week.astimezone(utc), "last week")
    if "this week" in text or "week" in text:
        return Period(week.astimezone(utc), None, "this week")
    month = today.replace(day=1)
    if "last month" in text:
        previous = (month - dt.timedelta(days=1)).replace(day=1)
        return Period(previous.astimezone(utc), month.astimezone(utc), "last month")
    if "this month" in text or "month" in text:
        return Period(month.astimezone(utc), None, "this month")
    return None


def order_reference(question: str) -> str | None:
    if match := _UUID.search(question):
        return match.group(0)
    for match in _ORDER_REF.finditer(question):
        found = next(g for g in match.groups() if g)
        if found.lower() not in ("order", "orders"):
            return found.rstrip(".?!,")
    return None


def _status_in(text: str) -> str | None:
    for word, status in _STATUS_WORDS.items():
        if re.search(rf"\b{word}\b", text):
            return status
    return None


def plan(question: str, *, now: dt.datetime, zone: ZoneInfo) -> Plan | None:
    """Which tool answers the question, with what arguments; None when the parser does not know."""
    text = " ".join(question.lower().split())
    period = period_in(text, now, zone)
    counting = bool(re.search(r"\b(how many|number of|count)\b", text))
    reference = None if counting else order_reference(question)
    if reference is not None:
        return Plan("find_order", {"order": reference})
    default_week = Period(now - dt.timedelta(days=7), None, "in the last 7 days")
    if (
        re.search(r"\b(errors?|failures?|reasons?|problems?)\b", text)
        and re.search(r"\b(common|top|most|frequent|main|biggest|which|what)\b", text)
        and "how many" not in text
    ):
        chosen = period or default_week
        return Plan("common_errors", chosen.arguments(), chosen)
    if re.search(r"\bfail(ed|ing|ures?|s)?\b", text):
        chosen = period or default_week
        return Plan("failed_orders", chosen.arguments(), chosen)
    held = re.search(r"\b(on hold|held|holds?|holding)\b", text)
    if held and (not counting or "why" in text):
        return Plan("held_orders", {})
    if re.search(r"\bship(ped|ments?|ping)?\b", text) and (counting or "carrier" in text):
        chosen = period or Period(_start_of_day(now.astimezone(zone)).astimezone(dt.UTC), None, "today")
        return Plan("shipped_by_carrier", chosen.arguments(), chosen)
    if counting and "order" in text:
        status = _status_in(text)
        args = period.arguments() if period else {}
        if status is not None:
            args["status"] = status
        return Plan("count_orders", args, period, status)
    return None
