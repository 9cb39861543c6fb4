from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, JSONType
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id


class Export(Base):
    __tablename__ = "exports"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'complete', 'error')", name="ck_exports_status"),
        Index("ix_exports_account_created", "account_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # The caller's scope, kept so the job sees exactly what the key that asked could see.
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", name="fk_exports_account"))
    sub_client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    client_ref: Mapped[str] = mapped_column(String(140))
    integration_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    resource: Mapped[str] = mapped_column(String(20))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    row_count: Mapped[int | None] = mapped_column(default=None)
    total_matched: Mapped[int | None] = mapped_column(default=None)
    truncated: Mapped[bool] = mapped_column(default=False)
    # The rows as the JSON text the API returns (JSONB would reorder every row's keys).
    rows_json: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
