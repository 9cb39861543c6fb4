from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from warpware.connections.models import Connection, ConnectionCall


def get(session: Session, account_id: uuid.UUID, connection_id: uuid.UUID) -> Connection | None:
    return session.scalars(
        select(Connection).where(
            Connection.account_id == account_id,
            Connection.id == connection_id,
            Connection.deleted_at.is_(None),
        )
    ).one_or_none()


def get_unscoped(session: Session, connection_id: uuid.UUID) -> Connection | None:
    return session.get(Connection, connection_id)


def for_account(session: Session, account_id: uuid.UUID) -> list[Connection]:
    return list(
        session.scalars(
            select(Connection)
            .where(Connection.account_id == account_id, Connection.deleted_at.is_(None))
            .order_by(Connection.created_at)
        )
    )


def clear_default(session: Session, account_id: uuid.UUID, keep: uuid.UUID) -> None:
    session.execute(
        update(Connection)
        .where(Connection.account_id == account_id, Connection.id != keep)
        .values(is_default=False)
    )


def add_call(session: Session, call: ConnectionCall) -> None:
    session.add(call)
