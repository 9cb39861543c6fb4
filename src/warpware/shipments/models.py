from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base
from warpware.kit.clock import utcnow


class Shipment(Base):
    """The warehouse a shipment's order is allocated to. The order itself is an ordinary order."""

    __tablename__ = "shipments"

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("orders.id", name="fk_shipments_order"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # As the caller sent it, and what it resolved to when the shipment came in.
    warehouse_id: Mapped[str] = mapped_column(String(200))
    connection_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
