from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, BigIntPK
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id


class OrderLabel(Base):
    __tablename__ = "order_labels"
    __table_args__ = (
        UniqueConstraint("id", name="uq_order_labels_id"),
        UniqueConstraint("order_id", "tracking_number", name="uq_order_labels_tracking"),
        Index("ix_order_labels_order", "order_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", name="fk_order_labels_order"))
    tracking_number: Mapped[str] = mapped_column(String(120))
    carrier: Mapped[str] = mapped_column(String(80))
    service_level: Mapped[str | None] = mapped_column(String(120), default=None)
    label_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    label_format: Mapped[str | None] = mapped_column(String(10), default=None)
    # Exact decimals (the portable Money type: integer 1/10,000 units on both databases).
    weight: Mapped[Decimal | None] = mapped_column(default=None)
    weight_unit: Mapped[str | None] = mapped_column(String(4), default=None)
    cost: Mapped[Decimal | None] = mapped_column(default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    # "passed_to_extensiv" on the wire: injected into the order's destination (Extensiv or the sandbox).
    passed_to_extensiv: Mapped[bool] = mapped_column(default=False)
    passed_to_extensiv_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
