"""Queries for accounts, sub-clients and integrations."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from warpware.accounts.models import Account, Integration, SubClient


def account_by_slug(session: Session, slug: str) -> Account | None:
    return session.scalars(select(Account).where(Account.slug == slug)).one_or_none()


def sub_client_by_slug(session: Session, account_id: uuid.UUID, slug: str) -> SubClient | None:
    return session.scalars(
        select(SubClient).where(SubClient.account_id == account_id, SubClient.slug == slug)
    ).one_or_none()


def sub_client_by_id(session: Session, account_id: uuid.UUID, sub_client_id: uuid.UUID) -> SubClient | None:
    return session.scalars(
        select(SubClient).where(SubClient.account_id == account_id, SubClient.id == sub_client_id)
    ).one_or_none()


def integration_with_tenant(
    session: Session, key_hash: str
) -> tuple[Integration, Account, SubClient | None] | None:
    row = session.execute(
        select(Integration, Account, SubClient)
        .join(Account, Account.id == Integration.account_id)
        .outerjoin(SubClient, SubClient.id == Integration.sub_client_id)
        .where(Integration.key_hash == key_hash)
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2])


def integrations_for(
    session: Session, account_id: uuid.UUID | None = None
) -> list[tuple[Integration, Account, SubClient | None]]:
    query = (
        select(Integration, Account, SubClient)
        .join(Account, Account.id == Integration.account_id)
        .outerjoin(SubClient, SubClient.id == Integration.sub_client_id)
        .order_by(Account.slug, Integration.created_at)
    )
    if account_id is not None:
        query = query.where(Integration.account_id == account_id)
    return [(r[0], r[1], r[2]) for r in session.execute(query)]


def integration_by_id(
    session: Session, integration_id: uuid.UUID, account_id: uuid.UUID | None = None
) -> Integration | None:
    query = select(Integration).where(Integration.id == integration_id)
    if account_id is not None:
        query = query.where(Integration.account_id == account_id)
    return session.scalars(query).one_or_none()


def touch_integration(session: Session, integration_id: uuid.UUID, now: dt.datetime) -> None:
    session.execute(update(Integration).where(Integration.id == integration_id).values(last_active_at=now))


def orders_pushed(session: Session, integration_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Orders each key pushed, counted from the orders themselves (a counter row updated by every push
    would be one more write per order and a hot row every concurrent request of a key waits on)."""
    from warpware.orders.models import Order

    if not integration_ids:
        return {}
    rows = session.execute(
        select(Order.api_connection_id, func.count())
        .where(Order.api_connection_id.in_(integration_ids))
        .group_by(Order.api_connection_id)
    )
    counts = {key: int(n) for key, n in rows if key is not None}
    return {i: counts.get(i, 0) for i in integration_ids}
