"""Brokering state: an account's settings, locations' brokering attributes, runs, and per-order state.

The queue an order waits in is `orders.brokering_queue` (an order attribute, filterable and indexed);
everything else brokering knows about an order (its type, approval, excluded locations, auto-cancel
date, where it was routed) is one `order_brokering` row beside it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, BigIntPK, JSONType
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id


class BrokeringSettings(Base):
    """One row per account; no row means brokering is off and the defaults of `schemas` apply."""

    __tablename__ = "brokering_settings"
    __table_args__ = (
        CheckConstraint(
            "schedule_kind IN ('off', 'interval', 'daily')", name="ck_brokering_settings_schedule"
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", name="fk_brokering_settings_account"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(default=False)
    ranking: Mapped[list[str]] = mapped_column(JSONType, default=list)
    allow_split: Mapped[bool] = mapped_column(default=False)
    max_shipments: Mapped[int] = mapped_column(default=3)
    safety_stock: Mapped[int] = mapped_column(default=0)
    max_distance_miles: Mapped[float | None] = mapped_column(Float, default=None)
    schedule_kind: Mapped[str] = mapped_column(String(10), default="off")
    interval_minutes: Mapped[int | None] = mapped_column(default=None)
    daily_at: Mapped[str | None] = mapped_column(String(5), default=None)  # "HH:MM" in `timezone`
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    unfillable_cancel_days: Mapped[int] = mapped_column(default=7)
    # A rules-engine condition ({"all": [...]}) an order must pass to be approved; NULL approves all.
    approval_conditions: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    batch_size: Mapped[int] = mapped_column(default=500)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BrokeringLocation(Base):
    """Brokering attributes of a location (kept beside `locations`, whose own API stays as it was)."""

    __tablename__ = "brokering_locations"
    __table_args__ = (
        CheckConstraint("kind IN ('warehouse', 'store')", name="ck_brokering_locations_kind"),
        Index("ix_brokering_locations_account", "account_id"),
    )

    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("locations.id", name="fk_brokering_locations_location"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(20), default="warehouse")
    zip: Mapped[str | None] = mapped_column(String(20), default=None)
    priority: Mapped[int] = mapped_column(default=100)
    daily_capacity: Mapped[int | None] = mapped_column(default=None)
    # NULL: the account's policy safety stock.
    safety_stock: Mapped[int | None] = mapped_column(default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BrokeringRun(Base):
    """One brokering run and what it did."""

    __tablename__ = "brokering_runs"
    __table_args__ = (
        UniqueConstraint("id", name="uq_brokering_runs_id"),
        CheckConstraint(
            "status IN ('queued', 'running', 'finished', 'failed')", name="ck_brokering_runs_status"
        ),
        Index("ix_brokering_runs_account_seq", "account_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", name="fk_brokering_runs_account"))
    trigger: Mapped[str] = mapped_column(String(20))  # manual or schedule
    requested_by: Mapped[str | None] = mapped_column(String(200), default=None)
    queues: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    duration_ms: Mapped[int | None] = mapped_column(default=None)
    considered: Mapped[int] = mapped_column(default=0)
    approved: Mapped[int] = mapped_column(default=0)
    approval_failed: Mapped[int] = mapped_column(default=0)
    released: Mapped[int] = mapped_column(default=0)
    routed: Mapped[int] = mapped_column(default=0)
    split: Mapped[int] = mapped_column(default=0)
    to_unfillable: Mapped[int] = mapped_column(default=0)
    to_preorder: Mapped[int] = mapped_column(default=0)
    to_backorder: Mapped[int] = mapped_column(default=0)
    # Orders re-planned because another run took the stock between planning and committing.
    replanned: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class OrderBrokering(Base):
    """What brokering knows about one order."""

    __tablename__ = "order_brokering"
    __table_args__ = (
        Index("ix_order_brokering_location_routed", "location_id", "routed_at"),
        Index("ix_order_brokering_auto_cancel", "auto_cancel_at"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("orders.id", name="fk_order_brokering_order"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    order_type: Mapped[str] = mapped_column(String(20), default="standard")
    approved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    approved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    # The last approval failure, so a run records it on the timeline only when it changes.
    approval_failure: Mapped[str | None] = mapped_column(Text, default=None)
    pickup_location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    promise_date: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Locations that rejected the order (strings of location ids); never planned there again.
    excluded_location_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    auto_cancel_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    routed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    # Set on an order whose shipments became child orders: its status follows theirs.
    split_parent: Mapped[bool] = mapped_column(default=False)
    last_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
