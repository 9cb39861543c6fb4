"""`warpware db upgrade` and `warpware keys ...` as a user runs them, against both databases."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from fastapi.testclient import TestClient

from warpware.db import Database


def run(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warpware.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "WARPWARE_DATABASE_URL": db.url},
        timeout=60,
    )


def test_create_list_revoke(db: Database, client: TestClient) -> None:
    assert run(db, "db", "upgrade").returncode == 0
    created = run(
        db,
        "keys",
        "create",
        "--account",
        "clitest",
        "--sub-client",
        "warehouse-east",
        "--name",
        "My ERP",
        "--scopes",
        "read,write",
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert re.fullmatch(r"ww_live_[0-9a-f]{32}", key)
    key_id = re.search(r"created key ([0-9a-f-]{36})", created.stderr).group(1)  # type: ignore[union-attr]

    headers = {"Authorization": f"Bearer {key}"}
    response = client.get("/partner/v1/orders", headers=headers)
    assert response.status_code == 200
    assert response.json()["meta"]["client_id"] == "clitest:warehouse-east"

    listing = run(db, "keys", "list", "--account", "clitest")
    assert key_id in listing.stdout and "My ERP" in listing.stdout and "active" in listing.stdout
    assert key not in listing.stdout

    assert run(db, "keys", "revoke", key_id).returncode == 0
    assert client.get("/partner/v1/orders", headers=headers).status_code == 401
    assert "revoked" in run(db, "keys", "list", "--account", "clitest").stdout


def test_write_without_read_is_refused(db: Database) -> None:
    result = run(db, "keys", "create", "--account", "clitest2", "--name", "x", "--scopes", "write")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "write scope requires the read scope" in result.stderr


def test_revoke_unknown_key(db: Database) -> None:
    result = run(db, "keys", "revoke", "00000000-0000-0000-0000-000000000000")
    assert result.returncode == 2 and "no API key" in result.stderr
