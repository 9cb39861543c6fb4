"""Session storage: only the token's hash is kept, and idle or revoked sessions stop working."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import new_key
from tests.dashboard.conftest import make_user, sign_in
from warpware.db import Database
from warpware.users import domain
from warpware.users.service import hash_token


def test_session_token_is_stored_hashed_and_idle_sessions_end(db: Database, client: TestClient) -> None:
    account, _, _ = new_key(db, account=f"sess-{uuid.uuid4().hex[:8]}", sub_client=None)
    login = make_user(db, account, "viewer")
    sign_in(client, login)
    token = client.cookies.get("ww_session")
    assert token
    with db.reading() as session:
        rows = session.execute(
            sa.text(
                "SELECT s.token_hash, s.csrf_token, s.expires_at FROM user_sessions s "
                "JOIN users u ON u.id = s.user_id WHERE u.email = :email"
            ),
            {"email": login.email},
        ).all()
    assert len(rows) == 1
    assert rows[0][0] == hash_token(token) and token not in (rows[0][0], rows[0][1])

    # Idle past the limit: the same cookie now leads to the sign-in page.
    stale = dt.datetime.now(dt.UTC) - domain.SESSION_IDLE - dt.timedelta(minutes=1)
    with db.writing() as session:
        session.execute(
            sa.text("UPDATE user_sessions SET last_seen_at = :t WHERE token_hash = :h"),
            {
                "t": stale if db.dialect == "postgresql" else stale.replace(tzinfo=None),
                "h": hash_token(token),
            },
        )
    response = client.get("/orders", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"


def test_inactive_user_cannot_sign_in_or_keep_a_session(db: Database, client: TestClient) -> None:
    account, _, _ = new_key(db, account=f"sess-{uuid.uuid4().hex[:8]}", sub_client=None)
    login = make_user(db, account, "admin")
    sign_in(client, login)
    from warpware.users.service import deactivate_user

    with db.writing() as session:
        deactivate_user(session, account_slug=account, email=login.email)
    assert client.get("/orders", follow_redirects=False).status_code == 303
