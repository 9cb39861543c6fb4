"""One request thread per process (WARPWARE_REQUEST_THREADS=1): every endpoint's dependency and handler
still get their turn (no deadlock waiting for a second thread), and concurrent clients are all served."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from pydantic import ValidationError

from tests.conftest import new_key, order_body
from tests.servers import process_server
from warpware.config import Settings
from warpware.db import Database


def test_one_request_thread_serves_many_clients_in_turn(db: Database) -> None:
    _account, key, _ = new_key(db)
    env = {"WARPWARE_DATABASE_URL": db.url, "WARPWARE_EMBEDDED_WORKER": "0", "WARPWARE_REQUEST_THREADS": "1"}
    headers = {"Authorization": f"Bearer {key}"}
    with process_server(env) as base, httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        created = [
            client.post("/partner/v1/orders", json=order_body(f"RT-{n}")).json()["data"]["id"]
            for n in range(5)
        ]
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda n: client.get(f"/partner/v1/orders/{created[n % 5]}"), range(64)))

    assert [a.status_code for a in answers] == [200] * 64
    assert [a.json()["data"]["id"] for a in answers] == [created[n % 5] for n in range(64)]


def test_a_request_thread_count_below_one_is_refused_at_start(db: Database) -> None:
    with pytest.raises(ValidationError, match="request_threads"):
        Settings(database_url=db.url, request_threads=0)
