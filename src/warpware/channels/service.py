"""Orders from sales channels: verified, deduplicated on the delivery id and the channel's order id,
then into the same ingest as every other source."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.accounts.models import Account, SubClient
from warpware.channels.models import ChannelDelivery
from warpware.connections.models import Connection
from warpware.connectors.base import NormalizedOrder
from warpware.kit.clock import utcnow
from warpware.orders import service as orders_service
from warpware.orders.domain import OrderStatus, can_cancel
from warpware.orders.models import Order


@dataclass(frozen=True)
class ChannelResult:
    outcome: str  # created, duplicate, duplicate_delivery, cancelled, ignored, error
    order_id: uuid.UUID | None = None
    detail: str | None = None


def principal_for(session: Session, connection: Connection) -> Principal:
    account = session.get(Account, connection.account_id)
    assert account is not None
    sub_client = session.get(SubClient, connection.sub_client_id) if connection.sub_client_id else None
    return Principal(
        account_id=account.id,
        account_slug=account.slug,
        integration_id=None,
        scopes=frozenset({"read", "write"}),
        home_country=account.home_country,
        sub_client_id=sub_client.id if sub_client else None,
        sub_client_slug=sub_client.slug if sub_client else None,
    )


def claim_delivery(
    session: Session, connection: Connection, delivery_id: str | None, topic: str | None
) -> bool:
    """Record a delivery id once; False when it was seen before (a redelivery)."""
    if not delivery_id:
        return True
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(ChannelDelivery)
        .values(
            connection_id=connection.id,
            account_id=connection.account_id,
            delivery_id=delivery_id[:300],
            topic=topic,
            outcome="received",
            received_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    return bool(session.execute(stmt.returning(ChannelDelivery.id)).scalar_one_or_none())


def finish_delivery(
    session: Session, connection: Connection, delivery_id: str | None, result: ChannelResult
) -> None:
    if not delivery_id:
        return
    delivery = session.scalars(
        select(ChannelDelivery).where(
            ChannelDelivery.connection_id == connection.id, ChannelDelivery.delivery_id == delivery_id[:300]
        )
    ).first()
    if delivery is not None:
        delivery.outcome, delivery.detail, delivery.order_id = result.outcome, result.detail, result.order_id


def ingest_channel_order(session: Session, connection: Connection, order: NormalizedOrder) -> ChannelResult:
    principal = principal_for(session, connection)
    [result] = orders_service.ingest(
        session, principal, [order], actor=f"channel:{connection.type}", channel_connection_id=connection.id
    )
    if result.order is not None:
        return ChannelResult("created", result.order.id)
    return ChannelResult(
        "duplicate",
        result.duplicate_of.id if result.duplicate_of else None,
        f"Order {order.external_id} was already ingested",
    )


def cancel_from_channel(
    session: Session, connection: Connection, channel_order_id: str, reason: str | None
) -> ChannelResult:
    """The channel cancelled the order: cancel ours unless it has shipped."""
    order = session.scalars(
        select(Order)
        .where(
            Order.account_id == connection.account_id,
            Order.channel_connection_id == connection.id,
            Order.channel_order_id == channel_order_id,
        )
        .order_by(Order.seq.desc())
        .with_for_update()
    ).first()
    if order is None:
        return ChannelResult("ignored", None, f"No order with channel id {channel_order_id}")
    status = OrderStatus(order.status)
    if status is OrderStatus.CANCELLED:
        return ChannelResult("cancelled", order.id, "already cancelled")
    if not can_cancel(status):
        orders_service.record_event(
            session,
            order,
            source="channel",
            type="channel_cancel_ignored",
            component="ChannelIngestion",
            message=f"{connection.name} cancelled the order after it {status}; not cancelled here",
            details={"reason": reason},
        )
        return ChannelResult("ignored", order.id, f"order already {status}")
    text = reason or f"Cancelled in {connection.name}"
    orders_service.change_status(
        session,
        order,
        OrderStatus.CANCELLED,
        actor=f"channel:{connection.type}",
        component="ChannelIngestion",
        reason=text,
    )
    order.cancel_reason, order.cancelled_at = text, utcnow()
    return ChannelResult("cancelled", order.id)
