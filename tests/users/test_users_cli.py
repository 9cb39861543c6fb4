"""`warpware users create|list` as a person runs them, and what is stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import new_key
from tests.dashboard.conftest import csrf_of
from warpware.db import Database

PASSWORD = "a long enough secret 42"


def run(db: Database, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warpware.cli", "users", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "WARPWARE_DATABASE_URL": db.url},
        timeout=60,
    )


@pytest.fixture
def account(db: Database) -> str:
    slug, _, _ = new_key(db, account=f"users-{uuid.uuid4().hex[:8]}", sub_client=None)
    return slug


def test_create_then_list_then_sign_in(db: Database, account: str, client: TestClient) -> None:
    created = run(
        db,
        "create",
        "--account",
        account,
        "--email",
        "Ops@Example.com",
        "--role",
        "operator",
        "--name",
        "Ops Person",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    assert f"created operator ops@example.com in account {account}" in created.stderr
    assert PASSWORD not in created.stdout + created.stderr

    listing = run(db, "list", "--account", account)
    assert listing.returncode == 0
    row = next(line for line in listing.stdout.splitlines() if "ops@example.com" in line)
    assert row.split()[:4] == ["ops@example.com", "operator", "active", "never"]
    assert row.endswith("Ops Person")

    # The password works on the dashboard's sign-in form, and the sign-in shows in the listing.
    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"email": "ops@example.com", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "never" not in next(
        line for line in run(db, "list", "--account", account).stdout.splitlines() if "ops@" in line
    )


def test_password_is_stored_only_as_an_argon2_hash(db: Database, account: str) -> None:
    assert (
        run(
            db,
            "create",
            "--account",
            account,
            "--email",
            "h@example.com",
            "--role",
            "viewer",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        ).returncode
        == 0
    )
    with db.reading() as session:
        stored = session.execute(
            sa.text("SELECT password_hash FROM users WHERE email = 'h@example.com'")
        ).scalar_one()
        every_text = " ".join(str(v) for row in session.execute(sa.text("SELECT * FROM users")) for v in row)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in every_text


def test_refusals(db: Database, account: str) -> None:
    ok = run(
        db,
        "create",
        "--account",
        account,
        "--email",
        "dup@example.com",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert ok.returncode == 0
    duplicate = run(
        db,
        "create",
        "--account",
        account,
        "--email",
        "DUP@example.com",
        "--role",
        "viewer",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert duplicate.returncode == 2
    assert f"A user dup@example.com already exists in account {account}" in duplicate.stderr
    bad_role = run(
        db,
        "create",
        "--account",
        account,
        "--email",
        "r@example.com",
        "--role",
        "root",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert bad_role.returncode == 2 and "unknown role 'root'" in bad_role.stderr
    short = run(
        db,
        "create",
        "--account",
        account,
        "--email",
        "s@example.com",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="short\n",
    )
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    no_account = run(
        db,
        "create",
        "--account",
        "no-such-account",
        "--email",
        "x@example.com",
        "--role",
        "viewer",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert no_account.returncode == 2 and "No account 'no-such-account'" in no_account.stderr
    assert run(db, "list", "--account", "no-such-account").returncode == 2


def test_prompted_password_must_match_twice(db: Database, account: str) -> None:
    differ = run(
        db,
        "create",
        "--account",
        account,
        "--email",
        "p@example.com",
        "--role",
        "viewer",
        stdin=f"{PASSWORD}\nsomething else entirely\n",
    )
    assert differ.returncode == 2 and "the two passwords differ" in differ.stderr
    same = run(
        db,
        "create",
        "--account",
        account,
        "--email",
        "p@example.com",
        "--role",
        "viewer",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert same.returncode == 0, same.stderr
    assert PASSWORD not in same.stdout + same.stderr
