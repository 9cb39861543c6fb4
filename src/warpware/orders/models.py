from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, BigIntPK, JSONType
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        # Dedup: an active key is unique per account; clearing the duplicate flag sets it to NULL.
        UniqueConstraint("account_id", "dedup_key", name="uq_orders_dedup"),
        UniqueConstraint("account_id", "channel_dedup_key", name="uq_orders_channel_dedup"),
        Index("ix_orders_account_seq", "account_id", "seq"),
        Index("ix_orders_account_status_seq", "account_id", "status", "seq"),
        Index("ix_orders_account_external", "account_id", "external_id"),
        Index("ix_orders_account_updated", "account_id", "updated_at"),
        Index("ix_orders_account_tracking", "account_id", "tracking_number"),
        Index("ix_orders_account_created", "account_id", "created_at"),
        # The dashboard's search box matches email and name case-insensitively.
        Index("ix_orders_account_email_lower", "account_id", func.lower(text("customer_email"))),
        Index("ix_orders_account_name_lower", "account_id", func.lower(text("customer_name"))),
        # The dashboard's Archived tab and its count (few orders are archived; the rest are not).
        Index("ix_orders_account_archived", "account_id", "archived_at"),
        Index("ix_orders_account_brokering_queue", "account_id", "brokering_queue", "seq"),
    )

    # seq orders the newest-first lists and keys the cursor: monotonic and never reused.
    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    sub_client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sub_clients.id"), default=None)
    # "acme:warehouse-east", fixed at ingest (slugs never change), so reads need no join.
    client_ref: Mapped[str] = mapped_column(String(140))
    external_id: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(40), default="api")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    dedup_key: Mapped[str | None] = mapped_column(String(400), default=None)
    channel_dedup_key: Mapped[str | None] = mapped_column(String(400), default=None)
    channel_order_id: Mapped[str | None] = mapped_column(String(255), default=None)
    channel_connection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    duplicate_cleared_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    # The fulfillment connection the order is routed to, and the API integration that pushed it.
    connection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    api_connection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    route_destination_type: Mapped[str | None] = mapped_column(String(40), default=None)
    route_destination_label: Mapped[str | None] = mapped_column(String(200), default=None)
    route_assigned_by: Mapped[str | None] = mapped_column(String(40), default=None)

    customer_email: Mapped[str | None] = mapped_column(String(320), default=None)
    customer_name: Mapped[str | None] = mapped_column(String(200), default=None)
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSONType)
    order_total: Mapped[Decimal] = mapped_column(default=Decimal(0))
    line_count: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)

    carrier: Mapped[str | None] = mapped_column(String(80), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(120), default=None)
    service_level: Mapped[str | None] = mapped_column(String(120), default=None)
    destination_order_id: Mapped[str | None] = mapped_column(String(120), default=None)
    destination_status: Mapped[str | None] = mapped_column(String(80), default=None)

    hold_reason: Mapped[str | None] = mapped_column(Text, default=None)
    hold_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    held_by: Mapped[str | None] = mapped_column(String(200), default=None)
    # The rule whose hold this is, and the rules whose holds a person released (they never hold it again).
    hold_rule_id: Mapped[str | None] = mapped_column(String(64), default=None)
    released_hold_rules: Mapped[list[str]] = mapped_column(JSONType, default=list)
    retry_count: Mapped[int] = mapped_column(default=0)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    error_category: Mapped[str | None] = mapped_column(String(40), default=None)
    cancel_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # A child order split off this order (pre-order lines) points at its parent.
    parent_order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("orders.id", name="fk_orders_parent_order"), default=None
    )
    # The brokering queue or parking the order waits in (brokering.domain.Queue); NULL outside brokering.
    brokering_queue: Mapped[str | None] = mapped_column(String(20), default=None)

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    estimated_delivery: Mapped[dt.datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    archived_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        Index("ix_order_lines_order", "order_id", "position"),
        Index("ix_order_lines_sku", "account_id", "sku"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(120))
    name: Mapped[str | None] = mapped_column(String(300), default=None)
    quantity: Mapped[int]
    price: Mapped[Decimal | None] = mapped_column(default=None)
    uom: Mapped[str | None] = mapped_column(String(20), default=None)
    channel_line_id: Mapped[str | None] = mapped_column(String(120), default=None)


class OrderTag(Base):
    """Tags again, one row each, so the tag filter is an indexed lookup on both databases."""

    __tablename__ = "order_tags"
    __table_args__ = (Index("ix_order_tags_lookup", "account_id", "tag"),)

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class OrderEvent(Base):
    """The immutable timeline. Rows are only ever inserted (database triggers refuse UPDATE/DELETE)."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    source: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(60))
    component: Mapped[str] = mapped_column(String(80))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actor: Mapped[str | None] = mapped_column(String(200), default=None)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
