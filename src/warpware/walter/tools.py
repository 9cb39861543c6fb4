"""Walter's query tools: read-only functions over the caller's own orders.

Every tool takes the caller's Principal and scopes every query by it (the account, and the sub-client of
a bound key), so nothing Walter is asked, or any model it talks to, can reach another account's data.
Arguments arrive as JSON (from the built-in parser or from a model's tool call) and are validated by a
pydantic model per tool; results are JSON-ready dicts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.kit.ids import parse_uuid
from warpware.kit.jsonio import format_timestamp
from warpware.kit.pagination import parse_timestamp
from warpware.orders import repository as orders_repository
from warpware.orders.domain import OrderStatus
from warpware.orders.models import Order, OrderEvent

# Failure events read per question at most (the newest); enough for any real week.
MAX_EVENTS = 20_000
StatusName = Literal["pending", "ready", "processing", "shipped", "delivered", "hold", "failed", "cancelled"]


class ToolError(ValueError):
    """Arguments a tool cannot use; the message goes back to whoever called it."""


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _moment(name: str, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(name, value)
    except Exception as exc:  # BadRequest: not a date or date-time
        raise ValueError(getattr(exc, "detail", str(exc))) from None


class Window(_Args):
    since: str | None = Field(None, description="Start, ISO 8601 date-time in UTC (inclusive)")
    until: str | None = Field(None, description="End, ISO 8601 date-time in UTC (exclusive); default now")

    @field_validator("since", "until")
    @classmethod
    def _valid(cls, value: str | None) -> str | None:
        _moment("since/until", value)
        return value

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        return _moment("since", self.since), _moment("until", self.until)


class CountOrdersArgs(Window):
    status: StatusName | None = Field(None, description="Only orders now in this status")


class FailedOrdersArgs(Window):
    pass


class CommonErrorsArgs(Window):
    limit: int = Field(5, ge=1, le=20, description="How many errors to list")


class HeldOrdersArgs(_Args):
    limit: int = Field(20, ge=1, le=100, description="How many held orders to list")


class FindOrderArgs(_Args):
    order: str = Field(min_length=1, max_length=255, description="The order's WarpWare id or external id")


class ShippedByCarrierArgs(Window):
    pass


def _ts(value: dt.datetime | None) -> str | None:
    return format_timestamp(value) if value is not None else None


def _window(query: Any, column: Any, since: dt.datetime | None, until: dt.datetime | None) -> Any:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def count_orders(session: Session, principal: Principal, args: CountOrdersArgs) -> dict[str, Any]:
    """Orders created in the window, by their status now (or the one status asked for)."""
    since, until = args.bounds()
    query = orders_repository.scoped(select(Order.status, func.count()).select_from(Order), principal)
    query = _window(query, Order.created_at, since, until).where(Order.archived_at.is_(None))
    counts = {status: int(n) for status, n in session.execute(query.group_by(Order.status))}
    by_status = {s.value: counts.get(s.value, 0) for s in OrderStatus}
    result: dict[str, Any] = {
        "since": _ts(since),
        "until": _ts(until),
        "total": sum(by_status.values()),
        "by_status": by_status,
    }
    if args.status is not None:
        result["status"] = args.status
        result["count"] = by_status[args.status]
    return result


def _failures(
    session: Session, principal: Principal, since: dt.datetime | None, until: dt.datetime | None
) -> list[tuple[Order, str, dt.datetime]]:
    """(order, error, when) for the newest push failure of each order that failed in the window."""
    query = orders_repository.scoped(
        select(Order, OrderEvent.details, OrderEvent.occurred_at).join(
            OrderEvent, OrderEvent.order_id == Order.id
        ),
        principal,
    )
    query = _window(query.where(OrderEvent.type == "push_failed"), OrderEvent.occurred_at, since, until)
    newest: dict[Any, tuple[Order, str, dt.datetime]] = {}
    for order, details, when in session.execute(query.order_by(OrderEvent.id.desc()).limit(MAX_EVENTS)):
        if order.id not in newest:
            error = str((details or {}).get("error") or order.error_message or "Unknown error")
            newest[order.id] = (order, error, when)
    # Newest order first, whatever order concurrent workers recorded the failures in.
    return sorted(newest.values(), key=lambda item: -item[0].seq)


def failed_orders(session: Session, principal: Principal, args: FailedOrdersArgs) -> dict[str, Any]:
    """Orders whose push to the warehouse failed in the window, how many still are failed, and why."""
    since, until = args.bounds()
    failures = _failures(session, principal, since, until)
    errors = Counter(error for _, error, _ in failures)
    still = [order for order, _, _ in failures if order.status == OrderStatus.FAILED.value]
    return {
        "since": _ts(since),
        "until": _ts(until),
        "count": len(failures),
        "still_failed": len(still),
        "top_errors": [{"error": e, "orders": n} for e, n in errors.most_common(5)],
        "orders": [
            {"external_id": o.external_id, "status": o.status, "error": e, "failed_at": _ts(w)}
            for o, e, w in failures[:10]
        ],
    }


def common_errors(session: Session, principal: Principal, args: CommonErrorsArgs) -> dict[str, Any]:
    """The most common push errors in the window, by how many orders each hit."""
    since, until = args.bounds()
    failures = _failures(session, principal, since, until)
    examples: dict[str, list[str]] = {}
    for order, error, _ in failures:
        examples.setdefault(error, []).append(order.external_id)
    ranked = sorted(examples.items(), key=lambda item: (-len(item[1]), item[0]))[: args.limit]
    return {
        "since": _ts(since),
        "until": _ts(until),
        "failed_orders": len(failures),
        "errors": [{"error": e, "orders": len(ids), "example_orders": ids[:3]} for e, ids in ranked],
    }


def held_orders(session: Session, principal: Principal, args: HeldOrdersArgs) -> dict[str, Any]:
    """Orders on hold now, grouped by reason, oldest first."""
    query = orders_repository.scoped(select(Order), principal).where(Order.status == OrderStatus.HOLD.value)
    orders = list(session.scalars(query.order_by(Order.seq)))
    reasons = Counter(o.hold_reason or "No reason given" for o in orders)
    return {
        "count": len(orders),
        "by_reason": [
            {"reason": r, "orders": n} for r, n in sorted(reasons.items(), key=lambda i: (-i[1], i[0]))
        ],
        "orders": [
            {
                "external_id": o.external_id,
                "hold_reason": o.hold_reason,
                "held_by": o.held_by,
                "hold_until": _ts(o.hold_until),
                "since": _ts(o.updated_at),
            }
            for o in orders[: args.limit]
        ],
    }


def find_order(session: Session, principal: Principal, args: FindOrderArgs) -> dict[str, Any]:
    """One order by WarpWare id or external id (a leading # is optional), with its latest event."""
    wanted = args.order.strip()
    parsed = parse_uuid(wanted)
    order = orders_repository.get_order(session, principal, parsed) if parsed else None
    for candidate in (wanted, wanted.lstrip("#"), f"#{wanted}"):
        if order is None:
            order = orders_repository.get_order_by_external(session, principal, candidate)
    if order is None:
        return {"found": False, "order": wanted}
    events, _ = orders_repository.events_for(session, order.id, limit=1)
    last = events[0] if events else None
    return {
        "found": True,
        "order": {
            "id": str(order.id),
            "external_id": order.external_id,
            "status": order.status,
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
            "service_level": order.service_level,
            "destination": order.route_destination_label,
            "hold_reason": order.hold_reason,
            "error_message": order.error_message,
            "created_at": _ts(order.created_at),
            "processed_at": _ts(order.processed_at),
            "shipped_at": _ts(order.shipped_at),
            "estimated_delivery": _ts(order.estimated_delivery),
            "delivered_at": _ts(order.delivered_at),
            "cancelled_at": _ts(order.cancelled_at),
            "last_event": {"type": last.type, "message": last.message, "occurred_at": _ts(last.occurred_at)}
            if last
            else None,
        },
    }


def shipped_by_carrier(session: Session, principal: Principal, args: ShippedByCarrierArgs) -> dict[str, Any]:
    """Orders that shipped in the window, counted by carrier."""
    since, until = args.bounds()
    query = orders_repository.scoped(select(Order.carrier, func.count()).select_from(Order), principal)
    query = _window(query.where(Order.shipped_at.is_not(None)), Order.shipped_at, since, until)
    counts = Counter[str]()
    for carrier, n in session.execute(query.group_by(Order.carrier)):
        counts[carrier or "Unknown carrier"] += int(n)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {
        "since": _ts(since),
        "until": _ts(until),
        "total": sum(counts.values()),
        "by_carrier": [{"carrier": c, "orders": n} for c, n in ranked],
    }


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[_Args]
    run: Callable[[Session, Principal, Any], dict[str, Any]]

    def schema(self) -> dict[str, Any]:
        """The chat-completions tool definition."""
        parameters = self.args.model_json_schema()
        parameters.pop("title", None)
        for prop in parameters.get("properties", {}).values():
            prop.pop("title", None)
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": parameters},
        }

    def call(self, session: Session, principal: Principal, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            parsed = self.args.model_validate(arguments)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
            )
            raise ToolError(f"Invalid arguments for {self.name}: {problems}") from None
        return self.run(session, principal, parsed)


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool("count_orders", count_orders.__doc__ or "", CountOrdersArgs, count_orders),
        Tool("failed_orders", failed_orders.__doc__ or "", FailedOrdersArgs, failed_orders),
        Tool("common_errors", common_errors.__doc__ or "", CommonErrorsArgs, common_errors),
        Tool("held_orders", held_orders.__doc__ or "", HeldOrdersArgs, held_orders),
        Tool("find_order", find_order.__doc__ or "", FindOrderArgs, find_order),
        Tool(
            "shipped_by_carrier", shipped_by_carrier.__doc__ or "", ShippedByCarrierArgs, shipped_by_carrier
        ),
    )
}
