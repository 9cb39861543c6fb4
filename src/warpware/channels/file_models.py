"""Tables of the file and email channels: documents we owe a partner, and per-connection counters."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, BigIntPK
from warpware.kit.clock import utcnow


class ChannelDocument(Base):
    """A file or email we send back to a channel (997, 856, CSV results, reply email).

    Written in the same transaction as its cause, delivered afterwards by a job (or by the tracking
    writer), so a crash between the two loses nothing and a retry sends the same bytes again.
    """

    __tablename__ = "channel_documents"
    __table_args__ = (
        UniqueConstraint("connection_id", "dedupe_key", name="uq_channel_document"),
        Index("ix_channel_documents_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    connection_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # 997, 856, csv_results, shipment_csv, email_reply, email_shipment
    kind: Mapped[str] = mapped_column(String(40))
    # Unique per connection: a second attempt at the same document finds the first.
    dedupe_key: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, delivered
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ChannelCounter(Base):
    """A per-connection sequence, e.g. the X12 interchange control numbers we send a partner."""

    __tablename__ = "channel_counters"
    __table_args__ = (UniqueConstraint("connection_id", "name", name="uq_channel_counter"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    connection_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(default=0)
