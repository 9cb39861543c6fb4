"""Every query on webhook endpoints, deliveries and notifications. Always account-scoped for callers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.accounts.models import Account
from warpware.connections.models import Connection
from warpware.orders.models import Order, OrderLine
from warpware.webhooks.models import Notification, NotificationSettings, WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True)
class EndpointRef:
    """What the outbox needs to know about an active endpoint to decide who gets an event."""

    id: uuid.UUID
    sub_client_id: uuid.UUID | None
    events: frozenset[str]


# Asked on every change of every order (the outbox hook): built once so SQLAlchemy reuses it.
_ACTIVE_ENDPOINTS = (
    select(WebhookEndpoint.id, WebhookEndpoint.sub_client_id, WebhookEndpoint.events)
    .where(
        WebhookEndpoint.account_id == bindparam("account_id"),
        WebhookEndpoint.active.is_(True),
        WebhookEndpoint.deleted_at.is_(None),
    )
    .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
)


def active_endpoint_refs(session: Session, account_id: uuid.UUID) -> list[EndpointRef]:
    rows = session.execute(_ACTIVE_ENDPOINTS, {"account_id": account_id})
    return [EndpointRef(row.id, row.sub_client_id, frozenset(row.events or ())) for row in rows]


def _scoped(query: Any, principal: Principal) -> Any:
    query = query.where(
        WebhookEndpoint.account_id == principal.account_id, WebhookEndpoint.deleted_at.is_(None)
    )
    if principal.sub_client_id is not None:
        query = query.where(WebhookEndpoint.sub_client_id == principal.sub_client_id)
    return query


def list_endpoints(session: Session, principal: Principal) -> list[WebhookEndpoint]:
    query = _scoped(select(WebhookEndpoint), principal)
    query = query.order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    return list(session.scalars(query))


def get_endpoint(
    session: Session, principal: Principal, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpoint | None:
    query = _scoped(select(WebhookEndpoint), principal).where(WebhookEndpoint.id == endpoint_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def get_endpoint_unscoped(
    session: Session, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpoint | None:
    """For workers: the job carries the endpoint's id; the tenant is on the row."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def lock_account(session: Session, account_id: uuid.UUID) -> None:
    """Serialises registrations of one account, so two at once cannot both pass the endpoint limit
    (PostgreSQL row lock; SQLite's write transaction already excludes every other writer)."""
    session.execute(select(Account.id).where(Account.id == account_id).with_for_update())


def count_active(session: Session, account_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(WebhookEndpoint)
            .where(
                WebhookEndpoint.account_id == account_id,
                WebhookEndpoint.active.is_(True),
                WebhookEndpoint.deleted_at.is_(None),
            )
        )
        or 0
    )


def add_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    session.add(endpoint)
    session.flush()


def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(WebhookDelivery), rows)


def get_delivery(
    session: Session, delivery_id: uuid.UUID, *, for_update: bool = False
) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def delivery_with_endpoint(
    session: Session, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, WebhookEndpoint] | None:
    row = session.execute(
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def get_endpoint_delivery(
    session: Session, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    return session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id
        )
    ).one_or_none()


def list_deliveries(
    session: Session, endpoint_id: uuid.UUID, *, limit: int, status: str | None, before_seq: int | None
) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before_seq is not None:
        query = query.where(WebhookDelivery.seq < before_seq)
    return list(session.scalars(query.order_by(WebhookDelivery.seq.desc()).limit(limit)))


def cancel_pending_deliveries(
    session: Session, endpoint_id: uuid.UUID, *, now: dt.datetime, reason: str
) -> None:
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
        .values(status="cancelled", next_attempt_at=None, last_error=reason)
    )


def mark_connection_failing(session: Session, connection_id: uuid.UUID, *, now: dt.datetime) -> bool:
    """Set last_error_at if the connection was not already failing; True when this call did it.

    A concurrent failure waits for this row (PostgreSQL re-checks the condition after the first commits),
    so exactly one of several simultaneous failures sees the connection go from healthy to failing.
    """
    recovered = and_(
        Connection.last_success_at.is_not(None), Connection.last_success_at >= Connection.last_error_at
    )
    healthy = or_(Connection.last_error_at.is_(None), recovered)
    result = session.execute(
        update(Connection)
        .where(Connection.id == connection_id, healthy)
        .values(last_error_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def orders_by_id(session: Session, order_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Order]:
    if not order_ids:
        return {}
    return {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(list(order_ids))))}


def lines_by_order(session: Session, order_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[OrderLine]]:
    ids = list(order_ids)
    result: dict[uuid.UUID, list[OrderLine]] = {i: [] for i in ids}
    if ids:
        for line in session.scalars(
            select(OrderLine)
            .where(OrderLine.order_id.in_(ids))
            .order_by(OrderLine.order_id, OrderLine.position)
        ):
            result[line.order_id].append(line)
    return result


# --- notifications ---------------------------------------------------------------------------------


def add_notification(session: Session, values: dict[str, Any]) -> int:
    return int(session.execute(insert(Notification).values(**values).returning(Notification.id)).scalar_one())


def get_notification(session: Session, notification_id: int) -> Notification | None:
    return session.get(Notification, notification_id)


def recent_notifications(session: Session, principal: Principal, *, limit: int) -> list[Notification]:
    query = select(Notification).where(Notification.account_id == principal.account_id)
    if principal.sub_client_id is not None:
        query = query.where(
            (Notification.sub_client_id.is_(None)) | (Notification.sub_client_id == principal.sub_client_id)
        )
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def notification_settings(session: Session, account_id: uuid.UUID) -> NotificationSettings | None:
    return session.get(NotificationSettings, account_id)


def add_notification_settings(session: Session, settings: NotificationSettings) -> None:
    session.add(settings)


@dataclass(frozen=True)
class DeliveryCounts:
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    last_failure_at: dt.datetime | None = None
    last_failure: str | None = None


def delivery_counts(
    session: Session, endpoint_ids: list[uuid.UUID], *, since: dt.datetime
) -> dict[uuid.UUID, DeliveryCounts]:
    """Per endpoint: deliveries created since `since` by status, and the newest failed attempt's error."""
    if not endpoint_ids:
        return {}
    counts: dict[uuid.UUID, dict[str, int]] = {i: {} for i in endpoint_ids}
    for endpoint_id, status, n in session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.endpoint_id.in_(endpoint_ids), WebhookDelivery.created_at >= since)
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    ):
        counts[endpoint_id][status] = int(n)
    newest = (
        select(WebhookDelivery.endpoint_id, func.max(WebhookDelivery.seq).label("seq"))
        .where(
            WebhookDelivery.endpoint_id.in_(endpoint_ids),
            WebhookDelivery.last_error.is_not(None),
            WebhookDelivery.last_attempt_at.is_not(None),
        )
        .group_by(WebhookDelivery.endpoint_id)
        .subquery()
    )
    failures = {
        row.endpoint_id: (row.last_attempt_at, row.last_error)
        for row in session.execute(
            select(WebhookDelivery.endpoint_id, WebhookDelivery.last_attempt_at, WebhookDelivery.last_error)
            .join(newest, newest.c.seq == WebhookDelivery.seq)
        )
    }
    return {
        i: DeliveryCounts(
            delivered=counts[i].get("delivered", 0),
            failed=counts[i].get("failed", 0),
            pending=counts[i].get("pending", 0),
            last_failure_at=failures.get(i, (None, None))[0],
            last_failure=failures.get(i, (None, None))[1],
        )
        for i in endpoint_ids
    }
