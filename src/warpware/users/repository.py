"""Every query on users, their sessions and failed sign-ins."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from warpware.users.models import LoginFailure, User, UserSession


def user_by_email(session: Session, account_id: uuid.UUID, email: str) -> User | None:
    return session.scalars(select(User).where(User.account_id == account_id, User.email == email)).first()


def active_users_by_email(session: Session, email: str) -> list[User]:
    """Every active user with this email, across accounts (sign-in without an account slug)."""
    return list(session.scalars(select(User).where(User.email == email, User.active.is_(True)).limit(20)))


def user_by_id(session: Session, account_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    return session.scalars(select(User).where(User.account_id == account_id, User.id == user_id)).first()


def users_for(session: Session, account_id: uuid.UUID) -> list[User]:
    return list(session.scalars(select(User).where(User.account_id == account_id).order_by(User.email)))


def session_by_token_hash(session: Session, token_hash: str) -> tuple[UserSession, User] | None:
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash)
    ).first()
    return (row[0], row[1]) if row else None


def touch_session(session: Session, session_id: uuid.UUID, now: dt.datetime, expires_at: dt.datetime) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.id == session_id)
        .values(last_seen_at=now, expires_at=expires_at)
    )


def revoke_session(session: Session, token_hash: str, now: dt.datetime) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_hash, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_sessions_of(session: Session, user_id: uuid.UUID, now: dt.datetime) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def recent_failures(session: Session, key: str, since: dt.datetime) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.key == key, LoginFailure.failed_at >= since)
    )
    return int(count or 0)


def add_failure(session: Session, key: str, now: dt.datetime) -> None:
    session.add(LoginFailure(key=key, failed_at=now))


def clear_failures(session: Session, key: str, *, older_than: dt.datetime | None = None) -> None:
    query = delete(LoginFailure)
    query = (
        query.where(LoginFailure.failed_at < older_than)
        if older_than is not None
        else query.where(LoginFailure.key == key)
    )
    session.execute(query)


def lock_account_users(session: Session, account_id: uuid.UUID) -> None:
    """Serialises role and active changes of one account's users, so two admins demoting each other at
    once cannot both pass the last-admin check (PostgreSQL row lock; SQLite writers already exclude)."""
    from warpware.accounts.models import Account

    session.execute(select(Account.id).where(Account.id == account_id).with_for_update())


def count_active_admins(session: Session, account_id: uuid.UUID) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.account_id == account_id, User.active.is_(True), User.role == "admin")
    )
    return int(count or 0)
