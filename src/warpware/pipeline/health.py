"""The dashboard's health panel: pipeline.service.health plus what a person needs to act on it.

Recent connection errors grouped by message, the orders stuck longest, the oldest ready order, failing
webhook endpoints, and orders per status per hour for the chart. Every query is a range on an index
(orders by account and updated_at or created_at, connection calls by connection and time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.connections import repository as connections_repository
from warpware.connections.models import ConnectionCall
from warpware.kit.clock import utcnow
from warpware.orders import repository as orders_repository
from warpware.orders.domain import OrderStatus
from warpware.orders.models import Order
from warpware.pipeline import service as pipeline_service
from warpware.webhooks import service as webhooks_service
from warpware.webhooks.models import WebhookEndpoint

CHART_HOURS = 48
CHART_STATUSES = tuple(s.value for s in OrderStatus)
IN_FLIGHT = (OrderStatus.PENDING.value, OrderStatus.READY.value, OrderStatus.PROCESSING.value)
STUCK_LISTED = 10
ERROR_GROUPS = 20


@dataclass(frozen=True)
class ErrorGroup:
    message: str
    count: int
    last_at: dt.datetime
    connections: list[str]


@dataclass(frozen=True)
class ChartHour:
    hour: dt.datetime
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Health:
    summary: dict[str, Any]  # pipeline.service.health
    oldest_ready: Order | None
    stuck: list[Order]
    errors: list[ErrorGroup]
    failing_endpoints: list[WebhookEndpoint]
    chart: list[ChartHour]
    now: dt.datetime


def error_groups(
    session: Session, principal: Principal, since: dt.datetime, *, limit: int = ERROR_GROUPS
) -> list[ErrorGroup]:
    """Failed remote calls since `since`, grouped by message (most frequent first)."""
    names = {c.id: c.name for c in connections_repository.for_account(session, principal.account_id)}
    if not names:
        return []
    message = func.coalesce(ConnectionCall.error_message, "(no message)")
    rows = session.execute(
        select(message, ConnectionCall.connection_id, func.count(), func.max(ConnectionCall.occurred_at))
        .where(
            ConnectionCall.connection_id.in_(list(names)),
            ConnectionCall.occurred_at >= since,
            ConnectionCall.ok.is_(False),
        )
        .group_by(message, ConnectionCall.connection_id)
    ).all()
    grouped: dict[str, tuple[int, dt.datetime, list[str]]] = {}
    for text, connection_id, n, last in rows:
        last_at = last if isinstance(last, dt.datetime) else dt.datetime.fromisoformat(str(last))
        last_at = last_at.replace(tzinfo=dt.UTC) if last_at.tzinfo is None else last_at
        count, seen, where = grouped.get(text, (0, last_at, []))
        grouped[text] = (count + int(n), max(seen, last_at), sorted({*where, names[connection_id]}))
    groups = [ErrorGroup(text, n, last, where) for text, (n, last, where) in grouped.items()]
    groups.sort(key=lambda g: (-g.count, -g.last_at.timestamp(), g.message))
    return groups[:limit]


def status_chart(session: Session, principal: Principal, now: dt.datetime) -> list[ChartHour]:
    """Orders created in each of the last 48 UTC hours (the current one last), by their status now."""
    current = now.replace(minute=0, second=0, microsecond=0)
    first = current - dt.timedelta(hours=CHART_HOURS - 1)
    hours = {first + dt.timedelta(hours=i): dict.fromkeys(CHART_STATUSES, 0) for i in range(CHART_HOURS)}
    for hour, status, n in orders_repository.created_per_hour_by_status(session, principal, first):
        if hour in hours and status in hours[hour]:
            hours[hour][status] += n
    return [ChartHour(hour, counts) for hour, counts in hours.items()]


def failing_endpoints(session: Session, principal: Principal) -> list[WebhookEndpoint]:
    """Webhook endpoints whose last attempts failed, or that were switched off for failing."""
    return [
        e
        for e in webhooks_service.list_endpoints(session, principal)
        if e.failure_count > 0 or e.disabled_at is not None
    ]


def dashboard_health(session: Session, principal: Principal, *, stuck_after_minutes: int) -> Health:
    now = utcnow()
    return Health(
        summary=pipeline_service.health(session, principal, stuck_after_minutes=stuck_after_minutes),
        oldest_ready=orders_repository.oldest_in_status(session, principal, OrderStatus.READY.value),
        stuck=orders_repository.stuck_orders(
            session,
            principal,
            IN_FLIGHT,
            now - dt.timedelta(minutes=stuck_after_minutes),
            limit=STUCK_LISTED,
        ),
        errors=error_groups(session, principal, now - dt.timedelta(days=1)),
        failing_endpoints=failing_endpoints(session, principal),
        chart=status_chart(session, principal, now),
        now=now,
    )
