from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, BigIntPK, JSONType
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id


class Connection(Base):
    __tablename__ = "connections"
    __table_args__ = (Index("ix_connections_account", "account_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    # A channel created with a sub-client's key brings its orders in for that sub-client.
    sub_client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sub_clients.id"), default=None)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Fernet ciphertext of the credentials JSON; never returned by the API.
    credentials_encrypted: Mapped[str] = mapped_column(Text, default="")
    is_default: Mapped[bool] = mapped_column(default=False)
    push_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class ConnectionCall(Base):
    """One remote call's outcome (dispatch, poll, writeback): connection health and error rates."""

    __tablename__ = "connection_calls"
    __table_args__ = (Index("ix_connection_calls_conn_time", "connection_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    connection_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    operation: Mapped[str] = mapped_column(String(40))
    ok: Mapped[bool]
    error_category: Mapped[str | None] = mapped_column(String(40), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[int] = mapped_column(default=0)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
