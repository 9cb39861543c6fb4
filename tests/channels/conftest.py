"""File, email and ShipStation channel tests: a tenant, its channel connections, and helpers to drive
them through the Partner API and the real worker. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Tenant
from warpware.app import HANDLER_MODULES
from warpware.channels.outbox import DELIVER_JOB
from warpware.channels.shipstation import JOB as SHIP_NOTIFY_JOB
from warpware.channels.tasks import POLL_JOB, poll_key
from warpware.db import Database
from warpware.worker import Worker, cancel_jobs, unschedule

FIXTURES = Path(__file__).parents[1] / "fixtures"


def fixture_bytes(*parts: str) -> bytes:
    return FIXTURES.joinpath(*parts).read_bytes()


@dataclass
class Channels:
    tenant: Tenant
    db: Database
    created: list[str] = field(default_factory=list)

    def create(
        self, type_: str, settings: dict[str, Any], credentials: dict[str, Any] | None = None, **extra: Any
    ) -> str:
        response = self.tenant.post(
            "/partner/v1/connections",
            json={
                "name": f"{type_} {len(self.created) + 1}",
                "type": type_,
                "settings": settings,
                "credentials": credentials or {},
                **extra,
            },
        )
        assert response.status_code == 201, response.text
        connection_id = str(response.json()["data"]["id"])
        self.created.append(connection_id)
        return connection_id

    def upload(
        self, kind: str, connection_id: str, filename: str, content: bytes, *, binary: bool = False
    ) -> Any:
        body = {
            "filename": filename,
            "content": base64.b64encode(content).decode() if binary else content.decode(),
            "encoding": "base64" if binary else "text",
        }
        return self.tenant.post(f"/partner/v1/channels/{kind}/{connection_id}/files", json=body)

    def poll(self, connection_id: str) -> None:
        response = self.tenant.post(f"/partner/v1/channels/{connection_id}/poll")
        assert response.status_code == 202, response.text

    def deliveries(self, connection_id: str) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.tenant.get(
            f"/partner/v1/channels/{connection_id}/deliveries"
        ).json()["data"]
        return data

    def documents(self, connection_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        url = f"/partner/v1/channels/{connection_id}/documents" + (f"?kind={kind}" if kind else "")
        data: list[dict[str, Any]] = self.tenant.get(url).json()["data"]
        return data

    def document(self, connection_id: str, document_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self.tenant.get(
            f"/partner/v1/channels/{connection_id}/documents/{document_id}"
        ).json()["data"]
        return data

    def orders(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.tenant.get("/partner/v1/orders?limit=100").json()["data"]
        return data

    def order(self, order_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self.tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]
        return data


@pytest.fixture(autouse=True)
def folder_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Folder channels may only use folders under WARPWARE_CHANNEL_FOLDER_ROOT: here, the test's tmp_path."""
    monkeypatch.setenv("WARPWARE_CHANNEL_FOLDER_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def channels(db: Database, tenant: Tenant) -> Iterator[Channels]:
    helper = Channels(tenant, db)
    yield helper
    # Leave nothing behind that a later test's worker would pick up: schedules and queued channel jobs.
    with db.writing() as session:
        for connection_id in helper.created:
            unschedule(session, poll_key(uuid.UUID(connection_id)))
        for name in (POLL_JOB, DELIVER_JOB, SHIP_NOTIFY_JOB):
            cancel_jobs(session, name=name)
    # The orders these tests created still have their evaluation queued: run it now, not in the middle
    # of a later test that counts the jobs it runs.
    Worker(db, concurrency=2, poll_interval=0.01, handler_modules=HANDLER_MODULES).run_until_idle()


@pytest.fixture
def work(db: Database) -> Callable[[], int]:
    """Run every due job (polls, deliveries, order evaluation) with a real worker until none is left."""

    def run() -> int:
        return Worker(db, concurrency=2, poll_interval=0.01, handler_modules=HANDLER_MODULES).run_until_idle()

    return run
