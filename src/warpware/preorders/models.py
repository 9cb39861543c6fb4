"""Pre-order rules, which orders each rule held, and the audit record of every split."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, BigIntPK, JSONType
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id


class PreorderRule(Base):
    __tablename__ = "preorder_rules"
    __table_args__ = (
        UniqueConstraint("id", name="uq_preorder_rules_id"),
        CheckConstraint("status IN ('holding', 'released')", name="ck_preorder_rules_status"),
        CheckConstraint("hold_mode IN ('split', 'hold_entire')", name="ck_preorder_rules_hold_mode"),
        Index("ix_preorder_rules_account_seq", "account_id", "seq"),
        # One holding rule per SKU (case-insensitive, as the engine matches SKUs); released rules stay
        # for the record, so a SKU can go on pre-order again later.
        Index(
            "uq_preorder_rules_holding_sku",
            "account_id",
            "sku_key",
            unique=True,
            postgresql_where=text("status = 'holding'"),
            sqlite_where=text("status = 'holding'"),
        ),
    )

    # seq orders the newest-first list and keys its cursor, as orders do.
    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", name="fk_preorder_rules_account"))
    sku: Mapped[str] = mapped_column(String(120))
    sku_key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    hold_mode: Mapped[str] = mapped_column(String(20))
    release_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(20), default="holding")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    released_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    released_by: Mapped[str | None] = mapped_column(String(200), default=None)


class PreorderHold(Base):
    """An order a pre-order rule held (the whole order, or the child a split created).

    The rule's counts come from these rows joined to the orders, never from counters: an order is
    held while it is on hold by this rule, released once it left that hold other than by cancelling.
    """

    __tablename__ = "preorder_holds"
    __table_args__ = (
        UniqueConstraint("rule_id", "order_id", name="uq_preorder_holds_rule_order"),
        Index("ix_preorder_holds_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("preorder_rules.id", name="fk_preorder_holds_rule"))
    # The rule id as orders.hold_rule_id holds it (text), so the counts join without a cast.
    rule_ref: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", name="fk_preorder_holds_order"))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    mode: Mapped[str] = mapped_column(String(20))
    held_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OrderSplit(Base):
    """Audit record of a split: which lines left the parent for which child, and why."""

    __tablename__ = "order_splits"
    __table_args__ = (
        UniqueConstraint("child_order_id", name="uq_order_splits_child"),
        Index("ix_order_splits_parent", "parent_order_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", name="fk_order_splits_account"))
    parent_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", name="fk_order_splits_parent"))
    child_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", name="fk_order_splits_child"))
    rule_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    rule_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    # [{sku, name, quantity, price, parent_position}] as they were on the parent.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
