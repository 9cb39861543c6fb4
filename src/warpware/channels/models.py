from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, BigIntPK
from warpware.kit.clock import utcnow


class ChannelDelivery(Base):
    """One inbound delivery (webhook, file, email), recorded once: its id is the dedup key."""

    __tablename__ = "channel_deliveries"
    __table_args__ = (UniqueConstraint("connection_id", "delivery_id", name="uq_channel_delivery"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    connection_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    delivery_id: Mapped[str] = mapped_column(String(300))
    topic: Mapped[str | None] = mapped_column(String(100), default=None)
    outcome: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
