"""Every query on pre-order rules, their holds and splits. Always scoped to an account."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from warpware.orders.models import Order
from warpware.preorders.models import OrderSplit, PreorderHold, PreorderRule

HOLDING = "holding"
RELEASED = "released"


def get(
    session: Session, account_id: uuid.UUID, rule_id: uuid.UUID, *, for_update: bool = False
) -> PreorderRule | None:
    query = select(PreorderRule).where(PreorderRule.account_id == account_id, PreorderRule.id == rule_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def get_unscoped(session: Session, rule_id: uuid.UUID, *, for_update: bool = False) -> PreorderRule | None:
    """For the scheduled release job, which carries only the rule id."""
    query = select(PreorderRule).where(PreorderRule.id == rule_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def holding_sku(session: Session, account_id: uuid.UUID, sku_key: str) -> PreorderRule | None:
    return session.scalars(
        select(PreorderRule).where(
            PreorderRule.account_id == account_id,
            PreorderRule.sku_key == sku_key,
            PreorderRule.status == HOLDING,
        )
    ).first()


def _listed(query: Select[Any], account_id: uuid.UUID, status: str | None, sku: str | None) -> Select[Any]:
    query = query.where(PreorderRule.account_id == account_id)
    if status:
        query = query.where(PreorderRule.status == status)
    if sku:
        query = query.where(PreorderRule.sku_key == sku.casefold())
    return query


def list_page(
    session: Session, account_id: uuid.UUID, *, status: str | None, sku: str | None, page: int, per_page: int
) -> tuple[list[PreorderRule], int]:
    total = session.scalar(_listed(select(func.count()).select_from(PreorderRule), account_id, status, sku))
    rules = session.scalars(
        _listed(select(PreorderRule), account_id, status, sku)
        .order_by(PreorderRule.seq.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rules), int(total or 0)


def list_after(
    session: Session,
    account_id: uuid.UUID,
    *,
    status: str | None,
    sku: str | None,
    before_seq: int | None,
    limit: int,
) -> list[PreorderRule]:
    query = _listed(select(PreorderRule), account_id, status, sku)
    if before_seq is not None:
        query = query.where(PreorderRule.seq < before_seq)
    return list(session.scalars(query.order_by(PreorderRule.seq.desc()).limit(limit)))


def active_for_account(
    session: Session, account_id: uuid.UUID, *, now: dt.datetime, lock: bool
) -> list[PreorderRule]:
    """Holding rules whose release date has not arrived, the ones evaluation applies.

    `lock` takes a shared row lock (PostgreSQL), so a release that runs at the same time waits for this
    evaluation's holds to commit and then releases them too, or this evaluation waits for the release
    and then no longer sees the rule.
    """
    query = select(PreorderRule).where(PreorderRule.account_id == account_id, PreorderRule.status == HOLDING)
    if lock:
        query = query.with_for_update(read=True)
    return [
        r
        for r in session.scalars(query.order_by(PreorderRule.seq))
        if r.release_date is None or release_moment(r.release_date) > now
    ]


def release_moment(day: dt.date) -> dt.datetime:
    """A release date arrives at the start of that day, UTC."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def held_orders(session: Session, rule: PreorderRule) -> list[Order]:
    """The account's orders on hold by this rule, locked, oldest first."""
    return list(
        session.scalars(
            select(Order)
            .where(
                Order.account_id == rule.account_id,
                Order.status == "hold",
                Order.hold_rule_id == str(rule.id),
            )
            .order_by(Order.seq)
            .with_for_update()
        )
    )


def counts(session: Session, rule_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """(held, released) per rule, counted from the orders each rule held, as they are now.

    Held: still on hold by the rule. Released: no longer on hold by it, and not cancelled.
    """
    if not rule_ids:
        return {}
    held = and_(Order.status == "hold", func.coalesce(Order.hold_rule_id, "") == PreorderHold.rule_ref)
    released = and_(~held, Order.status != "cancelled")
    rows = session.execute(
        select(
            PreorderHold.rule_id, func.sum(case((held, 1), else_=0)), func.sum(case((released, 1), else_=0))
        )
        .join(Order, Order.id == PreorderHold.order_id)
        .where(PreorderHold.rule_id.in_(list(rule_ids)))
        .group_by(PreorderHold.rule_id)
    )
    found = {rule_id: (int(h or 0), int(r or 0)) for rule_id, h, r in rows}
    return {rule_id: found.get(rule_id, (0, 0)) for rule_id in rule_ids}


def add_hold(session: Session, rule: PreorderRule, order: Order, *, mode: str, now: dt.datetime) -> None:
    exists = session.scalar(
        select(PreorderHold.id).where(PreorderHold.rule_id == rule.id, PreorderHold.order_id == order.id)
    )
    if exists is None:
        session.add(
            PreorderHold(
                rule_id=rule.id,
                rule_ref=str(rule.id),
                order_id=order.id,
                account_id=order.account_id,
                mode=mode,
                held_at=now,
            )
        )


def splits_of(session: Session, parent_order_id: uuid.UUID) -> list[OrderSplit]:
    return list(
        session.scalars(
            select(OrderSplit)
            .where(OrderSplit.parent_order_id == parent_order_id)
            .order_by(OrderSplit.created_at)
        )
    )
