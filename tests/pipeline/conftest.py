"""The pipeline against the real sandbox warehouse, with jobs run by a real Worker and a clock tests move."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import Tenant
from warpware.app import HANDLER_MODULES
from warpware.db import Database
from warpware.kit.clock import set_clock
from warpware.sandbox import SandboxConfig, SandboxServer
from warpware.worker import Worker


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig()) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[httpx.Client]:
    """An admin client on the sandbox, reset: no orders, no faults, ship on the next read."""
    with httpx.Client(base_url=sandbox_server.url, timeout=10) as client:
        client.post("/_sandbox/reset").raise_for_status()
        client.put("/_sandbox/settings", json={"ship_delay": 0}).raise_for_status()
        yield client


class Clock:
    """Wall time until moved; then it stays where tests put it."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Iterator[Clock]:
    fake = Clock()
    set_clock(fake)
    yield fake
    set_clock(None)


@pytest.fixture
def run_jobs(db: Database) -> Callable[[], int]:
    """Run every due job to completion (what the worker processes would do), return how many ran."""

    def run() -> int:
        return Worker(db, concurrency=4, poll_interval=0.01, handler_modules=HANDLER_MODULES).run_until_idle()

    return run


@dataclass
class Pipeline:
    tenant: Tenant
    connection_id: str
    sandbox: httpx.Client
    run_jobs: Callable[[], int]

    def order(self, external_id: str, **overrides: object) -> str:
        from tests.conftest import order_body

        response = self.tenant.post("/partner/v1/orders", json=order_body(external_id, **overrides))
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"])

    def get(self, order_id: str) -> dict[str, object]:
        data: dict[str, object] = self.tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]
        return data

    def events(self, order_id: str) -> list[dict[str, object]]:
        events: list[dict[str, object]] = self.tenant.get(
            f"/partner/v1/orders/{order_id}/timeline?limit=200"
        ).json()["data"]["events"]
        return list(reversed(events))

    def types(self, order_id: str) -> list[str]:
        return [str(e["type"]) for e in self.events(order_id)]


@pytest.fixture
def pipeline(
    tenant: Tenant, sandbox: httpx.Client, sandbox_server: SandboxServer, run_jobs: Callable[[], int]
) -> Pipeline:
    """A tenant whose default connection is the sandbox warehouse."""
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
    return Pipeline(tenant, response.json()["data"]["id"], sandbox, run_jobs)
