from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    home_country: Mapped[str] = mapped_column(String(2), default="US")
    walter_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SubClient(Base):
    __tablename__ = "sub_clients"
    __table_args__ = (UniqueConstraint("account_id", "slug"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    default_connection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Integration(Base):
    """A Custom API Integration: one API key with its scopes and usage stats."""

    __tablename__ = "integrations"
    __table_args__ = (Index("ix_integrations_account", "account_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    sub_client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sub_clients.id"), default=None)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(64))
    # Only the SHA-256 of the key is kept; the key itself is shown once.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_active_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Unused since 0.1: counted from orders (accounts.repository.orders_pushed); dropped in a migration.
    orders_pushed: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class RateLimitWindow(Base):
    """Request counts per key per fixed 60 s window, shared by every server process."""

    __tablename__ = "rate_limit_windows"

    bucket: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)
