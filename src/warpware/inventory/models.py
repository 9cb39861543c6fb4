from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, BigIntPK
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id


class Location(Base):
    """A physical place stock is counted at: a warehouse or store connection, or one named via the API."""

    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("id", name="uq_locations_id"),
        # One location per connection (NULLs never collide: API-named locations have none).
        UniqueConstraint("account_id", "connection_id", name="uq_locations_connection"),
        Index("ix_locations_account_seq", "account_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", name="fk_locations_account"))
    connection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    name: Mapped[str] = mapped_column(String(200))
    # The connection type (extensiv, sandbox, shopify, ...) or "api" for a location named via the API.
    platform: Mapped[str] = mapped_column(String(40))
    platform_location_id: Mapped[str | None] = mapped_column(String(120), default=None)
    address1: Mapped[str | None] = mapped_column(String(300), default=None)
    city: Mapped[str | None] = mapped_column(String(120), default=None)
    state: Mapped[str | None] = mapped_column(String(80), default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InventoryLevel(Base):
    """Stock of one SKU of one client at one location. available = on_hand - committed."""

    __tablename__ = "inventory_levels"
    __table_args__ = (
        UniqueConstraint("account_id", "scope_key", "sku", "location_id", name="uq_inventory_levels_sku"),
        CheckConstraint("on_hand >= 0", name="ck_inventory_levels_on_hand"),
        CheckConstraint("committed >= 0", name="ck_inventory_levels_committed"),
        Index("ix_inventory_levels_account_seq", "account_id", "seq"),
        # Whatever the client scope: sku= filters and adjustments of an account-wide key.
        Index("ix_inventory_levels_account_sku", "account_id", "sku"),
        Index("ix_inventory_levels_account_updated", "account_id", "updated_at"),
        # With account_id, so that a planner without statistics (SQLite) prefers it to the account indexes.
        Index("ix_inventory_levels_product", "product_id", "account_id"),
        Index("ix_inventory_levels_location", "location_id"),
    )

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", name="fk_inventory_levels_account")
    )
    sub_client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    scope_key: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", name="fk_inventory_levels_product")
    )
    sku: Mapped[str] = mapped_column(String(120))
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("locations.id", name="fk_inventory_levels_location")
    )
    on_hand: Mapped[int] = mapped_column(BigInteger, default=0)
    committed: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InventoryAdjustment(Base):
    """The audit trail: every adjustment and every level set through the API, with who and why."""

    __tablename__ = "inventory_adjustments"
    __table_args__ = (
        Index("ix_inventory_adjustments_level", "level_seq", "id"),
        Index("ix_inventory_adjustments_account", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    level_seq: Mapped[int] = mapped_column(BigInteger)
    sku: Mapped[str] = mapped_column(String(120))
    location_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(20))  # "adjust" or "set"
    adjustment: Mapped[int] = mapped_column(BigInteger)
    previous_quantity: Mapped[int] = mapped_column(BigInteger)
    new_quantity: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The API key (integration) that made the change.
    integration_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InventoryCommitment(Base):
    """Units of one order line held at a level: committed when routed, then released or consumed."""

    __tablename__ = "inventory_commitments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('committed', 'released', 'consumed')", name="ck_inventory_commitments_status"
        ),
        Index("ix_inventory_commitments_order", "order_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("orders.id", name="fk_inventory_commitments_order")
    )
    level_seq: Mapped[int] = mapped_column(BigInteger)
    location_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    sku: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="committed")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InventorySettings(Base):
    """A client's inventory settings (today: the low-stock threshold for SKUs without their own)."""

    __tablename__ = "inventory_settings"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    low_stock_threshold: Mapped[int]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InventoryPush(Base):
    """One downstream push of a SKU's available quantity to a sales channel, and how it went."""

    __tablename__ = "inventory_pushes"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'pushed', 'skipped', 'failed', 'superseded')",
            name="ck_inventory_pushes_status",
        ),
        Index("ix_inventory_pushes_channel_product", "connection_id", "product_id", "id"),
        Index("ix_inventory_pushes_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    connection_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    product_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    sku: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
