from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from warpware.automation.models import Rule


def for_account(session: Session, account_id: uuid.UUID, *, enabled_only: bool = False) -> list[Rule]:
    query = select(Rule).where(Rule.account_id == account_id)
    if enabled_only:
        query = query.where(Rule.enabled.is_(True))
    return list(session.scalars(query.order_by(Rule.stage, Rule.priority, Rule.name)))


def get(session: Session, account_id: uuid.UUID, rule_id: uuid.UUID) -> Rule | None:
    return session.scalars(
        select(Rule).where(Rule.account_id == account_id, Rule.id == rule_id)
    ).one_or_none()
