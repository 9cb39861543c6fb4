"""Webhooks against a real receiver on loopback, the real sandbox pipeline and a real SMTP server.

The API app runs with allow_private_webhooks (registration of http://127.0.0.1 URLs); the workers read
the server's settings from WARPWARE_* like a deployed `warpware worker`, so the `worker_env` fixture
sets WARPWARE_ALLOW_PRIVATE_WEBHOOKS=1 there (a test that wants the send-time guard sets it to 0).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.conftest import Tenant, new_key, order_body, settings_for
from tests.pipeline.conftest import (  # noqa: F401 - fixtures shared with the pipeline tests
    Clock,
    Pipeline,
    clock,
    pipeline,
    run_jobs,
    sandbox,
    sandbox_server,
)
from tests.servers import free_port
from tests.webhooks.receiver import Receiver
from warpware.app import create_app
from warpware.config import get_settings
from warpware.db import Database
from warpware.webhooks.models import WebhookDelivery
from warpware.worker.models import jobs_table

ALL_EVENTS = [
    "order.created",
    "order.status_changed",
    "order.shipped",
    "order.delivered",
    "order.failed",
    "order.held",
    "order.released",
    "order.cancelled",
    "order.error",
    "inventory.updated",
    "inventory.low_stock",
    "connection.error",
    "webhook.test",
]


@pytest.fixture(autouse=True)
def worker_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set WARPWARE_* for the workers of this test (they read get_settings(), as a deployment does)."""

    def apply(**values: Any) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"WARPWARE_{name.upper()}", str(value))
        get_settings.cache_clear()

    apply(allow_private_webhooks="1")
    yield apply
    get_settings.cache_clear()


@pytest.fixture
def quiet_queue(db: Database) -> None:
    """Jobs another test left queued (retries of a dead receiver) do not run in this one."""
    with db.writing() as session:
        session.execute(
            update(jobs_table)
            .where(jobs_table.c.status.in_(["queued", "running"]))
            .values(status="cancelled")
        )


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    """The in-process API with private webhook targets allowed (the receiver is on 127.0.0.1)."""
    with TestClient(create_app(settings_for(db, allow_private_webhooks=True), database=db)) as test_client:
        yield test_client


@pytest.fixture
def receiver(quiet_queue: None) -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@dataclass
class Hook:
    """A registered endpoint: its id and the secret shown once."""

    id: str
    secret: str
    body: dict[str, Any]


def register(tenant: Tenant, url: str, events: list[str] | None = None, **extra: Any) -> Hook:
    response = tenant.post("/partner/v1/webhooks", json={"url": url, "events": events or ALL_EVENTS, **extra})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    return Hook(data["id"], data["secret"], data)


def deliveries(db: Database, endpoint_id: str) -> list[WebhookDelivery]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.endpoint_id == uuid.UUID(endpoint_id))
                .order_by(WebhookDelivery.seq)
            )
        )


def create_order(tenant: Tenant, external_id: str | None = None, **overrides: Any) -> str:
    response = tenant.post("/partner/v1/orders", json=order_body(external_id, **overrides))
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def put(tenant: Tenant, url: str, body: Any) -> Any:
    return tenant.client.put(url, json=body, headers={"Authorization": f"Bearer {tenant.key}"})


def second_key(
    db: Database, tenant: Tenant, *, sub_client: str | None = "warehouse-east", scopes: str = "read,write"
) -> Tenant:
    """Another key of the same account."""
    _, key, key_id = new_key(db, account=tenant.account, sub_client=sub_client, scopes=scopes)
    return Tenant(tenant.account, sub_client, key, key_id, tenant.client)


# --- a real SMTP server ------------------------------------------------------------------------------


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        with self.lock:
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    """aiosmtpd on loopback: what our notifications send is really received and parsed."""
    mailbox = Mailbox("127.0.0.1", free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


__all__ = ["Clock", "Pipeline"]
