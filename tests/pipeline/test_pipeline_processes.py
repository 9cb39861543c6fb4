"""The pipeline run by `warpware worker` processes against PostgreSQL and the real sandbox warehouse.

Orders come in through the Partner API (in-process); separate worker processes evaluate and send them.
These tests use a PostgreSQL schema of their own, so no job another test left queued runs in their
workers, and a credential key of their own that the worker processes are given, as a deployment would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import POSTGRES_URL, Tenant, new_key, order_body, settings_for
from warpware.app import create_app
from warpware.config import get_settings
from warpware.db import Database
from warpware.kit import crypto
from warpware.orders.models import Order, OrderEvent
from warpware.sandbox import SandboxServer
from warpware.schema import create_schema
from warpware.worker.models import jobs_table

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own_pg() -> Iterator[Database]:
    """A PostgreSQL schema for this module alone (the worker processes run every due job they see)."""
    schema = f"ww_proc_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    database = Database(f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}")
    try:
        create_schema(database)
        yield database
    finally:
        database.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def secret_key() -> Iterator[str]:
    """WARPWARE_SECRET_KEY for this test and its worker processes: they must decrypt what the API stored."""
    key = Fernet.generate_key().decode()
    before = os.environ.get("WARPWARE_SECRET_KEY")
    os.environ["WARPWARE_SECRET_KEY"] = key
    get_settings.cache_clear()
    crypto.reset_key_cache()
    try:
        yield key
    finally:
        if before is None:
            del os.environ["WARPWARE_SECRET_KEY"]
        else:
            os.environ["WARPWARE_SECRET_KEY"] = before
        get_settings.cache_clear()
        crypto.reset_key_cache()


@pytest.fixture
def api(
    own_pg: Database, secret_key: str, sandbox: httpx.Client, sandbox_server: SandboxServer
) -> Iterator[Tenant]:
    """A tenant whose default connection is the sandbox; the sandbox ships nothing for an hour."""
    sandbox.put("/_sandbox/settings", json={"ship_delay": 3600}).raise_for_status()
    with TestClient(create_app(settings_for(own_pg), database=own_pg)) as client:
        account, key, key_id = new_key(own_pg)
        tenant = Tenant(account, "warehouse-east", key, key_id, client)
        response = tenant.post(
            "/partner/v1/connections",
            json={
                "name": "Sandbox",
                "type": "sandbox",
                "settings": {"base_url": sandbox_server.url},
                "is_default": True,
            },
        )
        assert response.status_code == 201, response.text
        yield tenant


@pytest.fixture
def workers(
    own_pg: Database, secret_key: str, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start `warpware worker` processes; every one still running at the end is killed.

    Whatever an earlier test of this module left unfinished is cancelled first: its connection's
    credentials were stored under another test's key, and its sends are not this test's to count."""
    with own_pg.writing() as session:
        session.execute(
            sa.update(jobs_table)
            .where(jobs_table.c.status.in_(["queued", "running"]))
            .values(status="cancelled")
        )
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "WARPWARE_DATABASE_URL": own_pg.url,
        "WARPWARE_SECRET_KEY": secret_key,
        # Tracking polls are an hour away: the sandbox sees only what dispatch sends.
        "WARPWARE_TRACKING_POLL_SECONDS": "3600",
    }

    def start(name: str, *, concurrency: int = 8, lease_seconds: float = 30.0) -> subprocess.Popen[bytes]:
        with (tmp_path / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "warpware.cli",
                    "worker",
                    "--concurrency",
                    str(concurrency),
                    "--lease-seconds",
                    str(lease_seconds),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_four_worker_processes_send_two_thousand_orders_each_exactly_once(
    own_pg: Database,
    api: Tenant,
    sandbox: httpx.Client,
    workers: Callable[..., subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    # Given 2,000 pending orders, taken in by the API before any worker runs
    order_ids: list[str] = []
    for batch in range(20):
        response = api.post(
            "/partner/v1/orders/bulk",
            json={"orders": [order_body(f"MANY-{batch:02d}-{n:03d}") for n in range(100)]},
        )
        assert response.status_code == 207 and response.json()["meta"]["created"] == 100, response.text
        order_ids += [item["id"] for item in response.json()["data"]]

    # When four worker processes race for them
    for n in range(4):
        workers(f"worker-{n}")
    _wait_for(
        lambda: _count_by_status(own_pg, "MANY-").get("processing") == 2000,
        timeout=240,
        what=lambda: f"orders by status {_count_by_status(own_pg, 'MANY-')}; logs in {tmp_path}",
    )

    # Then the warehouse holds each order once, each created by the one and only create call
    remote = sandbox.get("/_sandbox/orders").json()
    assert remote["count"] == 2000
    assert sorted(o["referenceNum"] for o in remote["orders"]) == sorted(order_ids)
    assert remote["createAttempts"] == {order_id: 1 for order_id in order_ids}
    # And every order here is sent, knows its warehouse order, and says so once on its timeline
    mine = Order.external_id.like("MANY-%")
    with own_pg.reading() as session:
        ours = dict(session.execute(select(Order.id, Order.destination_order_id).where(mine)).all())
        pushes = session.execute(
            select(OrderEvent.order_id, func.count())
            .join(Order, Order.id == OrderEvent.order_id)
            .where(mine, OrderEvent.type == "push_success")
            .group_by(OrderEvent.order_id)
        ).all()
        dispatches = session.execute(
            select(jobs_table.c.status, jobs_table.c.ordering_key, jobs_table.c.locked_by).where(
                jobs_table.c.name == "order.dispatch",
                jobs_table.c.ordering_key.in_([f"order:{order_id}" for order_id in order_ids]),
            )
        ).all()
    assert _count_by_status(own_pg, "MANY-") == {"processing": 2000}
    assert {str(k): v for k, v in ours.items()} == {
        o["referenceNum"]: str(o["orderId"]) for o in remote["orders"]
    }
    assert len(pushes) == 2000 and {count for _order, count in pushes} == {1}
    # One dispatch job per order, done, and all four processes took part. (A job may have run twice: a
    # worker whose database connection failed after the send retries it, and the resend finds the order.)
    assert len(dispatches) == 2000 and {row.status for row in dispatches} == {"done"}
    assert len({row.ordering_key for row in dispatches}) == 2000
    assert len({row.locked_by.rsplit(":", 1)[0] for row in dispatches}) == 4  # host:pid of each process


def test_a_worker_killed_mid_send_leaves_the_order_sent_exactly_once(
    own_pg: Database,
    api: Tenant,
    sandbox: httpx.Client,
    workers: Callable[..., subprocess.Popen[bytes]],
) -> None:
    # Given a warehouse so slow that a send is in flight for 1.5 s, and a worker with a 2 s lease
    sandbox.put("/_sandbox/faults", json={"latency_ms": 1500}).raise_for_status()
    response = api.post("/partner/v1/orders", json=order_body("KILLED-MID-SEND"))
    assert response.status_code == 201, response.text
    order_id = response.json()["data"]["id"]
    doomed = workers("doomed", lease_seconds=2)

    # When the worker dies (SIGKILL) while the warehouse is taking the order in
    _wait_for(lambda: order_id in sandbox.get("/_sandbox/orders").json()["createAttempts"], timeout=30)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    assert _dispatch_jobs(own_pg, order_id) == [("running", 1)]
    assert _order(own_pg, order_id) == ("ready", None)  # the answer never reached us
    # The warehouse finishes the create although no one is left to hear the answer
    _wait_for(lambda: sandbox.get("/_sandbox/orders").json()["count"] == 1, timeout=10)
    sandbox.put("/_sandbox/faults", json={}).raise_for_status()

    # And another worker takes the job over once the dead one's lease ran out
    workers("rescuer", lease_seconds=2)
    _wait_for(lambda: _order(own_pg, order_id)[0] == "processing", timeout=30)

    # Then the resend found the order by its reference instead of creating a second one
    remote = sandbox.get("/_sandbox/orders").json()
    [held] = remote["orders"]
    assert (held["referenceNum"], remote["createAttempts"]) == (order_id, {order_id: 1})
    assert _order(own_pg, order_id) == ("processing", str(held["orderId"]))
    assert _dispatch_jobs(own_pg, order_id) == [("done", 2)]
    with own_pg.reading() as session:
        pushes = session.scalars(
            select(OrderEvent.details).where(
                OrderEvent.order_id == uuid.UUID(order_id), OrderEvent.type == "push_success"
            )
        ).all()
    assert [(p["already_existed"], p["destination_order_id"]) for p in pushes] == [
        (True, str(held["orderId"]))
    ]


# --- helpers ---------------------------------------------------------------------------------------


def _count_by_status(database: Database, external_prefix: str) -> dict[str, int]:
    with database.reading() as session:
        rows = session.execute(
            select(Order.status, func.count())
            .where(Order.external_id.like(f"{external_prefix}%"))
            .group_by(Order.status)
        ).all()
    return {status: count for status, count in rows}


def _order(database: Database, order_id: str) -> tuple[str, str | None]:
    with database.reading() as session:
        row = session.execute(
            select(Order.status, Order.destination_order_id).where(Order.id == uuid.UUID(order_id))
        ).one()
    return row.status, row.destination_order_id


def _dispatch_jobs(database: Database, order_id: str) -> list[tuple[str, int]]:
    with database.reading() as session:
        rows = session.execute(
            select(jobs_table.c.status, jobs_table.c.attempts).where(
                jobs_table.c.name == "order.dispatch", jobs_table.c.ordering_key == f"order:{order_id}"
            )
        ).all()
    return [(row.status, row.attempts) for row in rows]


def _wait_for(
    condition: Callable[[], bool], *, timeout: float, what: Callable[[], Any] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s" + (f": {what()}" if what else ""))
        time.sleep(0.1)
