"""The rate limit holds across several server processes serving one key (database or Redis counts)."""

from __future__ import annotations

import time

import httpx
import pytest
import redis

from tests.conftest import new_key
from tests.servers import process_server
from warpware.db import Database


def _wait_for_fresh_window() -> None:
    # Start just after a window boundary so the 250 requests all fall into one window.
    remaining = 60 - time.time() % 60
    if remaining < 40:
        time.sleep(remaining + 0.5)


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_two_processes_share_one_count(pg_db: Database, backend: str) -> None:
    _account, key, _ = new_key(pg_db)
    env = {
        "WARPWARE_DATABASE_URL": pg_db.url,
        "WARPWARE_RATE_LIMIT_BACKEND": backend,
        "WARPWARE_EMBEDDED_WORKER": "0",
    }
    if backend == "redis":
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
        env["WARPWARE_REDIS_URL"] = "redis://127.0.0.1:6379/0"
    with process_server(env) as first, process_server(env) as second:
        _wait_for_fresh_window()
        headers = {"Authorization": f"Bearer {key}"}
        statuses = [
            httpx.get(f"{base}/partner/v1/version", headers=headers, timeout=60).status_code
            for _ in range(125)
            for base in (first, second)
        ]
    assert statuses.count(200) == 200
    assert statuses.count(429) == 50
    assert statuses[:200] == [200] * 200
