"""Every query on shipping labels. Callers reach labels through an order they may see."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warpware.labels.models import OrderLabel


def for_order(session: Session, order_id: uuid.UUID) -> list[OrderLabel]:
    return list(
        session.scalars(select(OrderLabel).where(OrderLabel.order_id == order_id).order_by(OrderLabel.seq))
    )


def count_for_order(session: Session, order_id: uuid.UUID) -> int:
    return int(session.scalar(select(func.count()).where(OrderLabel.order_id == order_id)) or 0)


def by_tracking(session: Session, order_id: uuid.UUID, tracking_number: str) -> OrderLabel | None:
    return session.scalars(
        select(OrderLabel).where(
            OrderLabel.order_id == order_id, OrderLabel.tracking_number == tracking_number
        )
    ).one_or_none()


def pending_injection(session: Session, order_id: uuid.UUID) -> list[OrderLabel]:
    """Labels with a label_url that have not reached the destination yet."""
    return list(
        session.scalars(
            select(OrderLabel)
            .where(
                OrderLabel.order_id == order_id,
                OrderLabel.passed_to_extensiv.is_(False),
                OrderLabel.label_url.is_not(None),
            )
            .order_by(OrderLabel.seq)
        )
    )


def add(session: Session, label: OrderLabel) -> None:
    session.add(label)
    session.flush()
