"""X-Idempotency-Key on POST /orders."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select, update

from tests.conftest import Tenant, new_key, order_body, settings_for
from tests.servers import thread_server
from warpware.app import create_app
from warpware.db import Database
from warpware.orders.models import IdempotencyRecord, Order


def test_repeat_returns_original_status_and_body(tenant: Tenant) -> None:
    body = order_body("IDEM-1")
    first = tenant.post("/partner/v1/orders", json=body, headers={"X-Idempotency-Key": "key-1"})
    again = tenant.post("/partner/v1/orders", json=body, headers={"X-Idempotency-Key": "key-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["X-Idempotent-Replayed"] == "true"
    assert tenant.get("/partner/v1/orders/stats").json()["data"]["total"] == 1


def test_same_key_different_body_is_422(tenant: Tenant) -> None:
    tenant.post("/partner/v1/orders", json=order_body("IDEM-2"), headers={"X-Idempotency-Key": "key-2"})
    response = tenant.post(
        "/partner/v1/orders", json=order_body("IDEM-3"), headers={"X-Idempotency-Key": "key-2"}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "X-Idempotency-Key was already used with a different request body"}
    assert tenant.get("/partner/v1/orders/by-external/IDEM-3").status_code == 404


def test_key_expires_after_24_hours(db: Database, tenant: Tenant) -> None:
    tenant.post("/partner/v1/orders", json=order_body("IDEM-4"), headers={"X-Idempotency-Key": "key-4"})
    with db.writing() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == "key-4")
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25))
        )
    # After the window the key is new again; the order itself is then a duplicate external_id.
    response = tenant.post(
        "/partner/v1/orders", json=order_body("IDEM-4"), headers={"X-Idempotency-Key": "key-4"}
    )
    assert response.status_code == 409
    assert "X-Idempotent-Replayed" not in response.headers


def test_keys_are_per_account(tenant: Tenant, other_tenant: Tenant) -> None:
    a = tenant.post("/partner/v1/orders", json=order_body("IDEM-5"), headers={"X-Idempotency-Key": "shared"})
    b = other_tenant.post(
        "/partner/v1/orders", json=order_body("IDEM-5"), headers={"X-Idempotency-Key": "shared"}
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["data"]["id"] != b.json()["data"]["id"]


def test_concurrent_requests_with_one_key_create_one_order(db: Database) -> None:
    account, key, _ = new_key(db)
    body = order_body("RACE-1")
    with thread_server(create_app(settings_for(db), database=db)) as base:

        def send(_: int) -> httpx.Response:
            return httpx.post(
                f"{base}/partner/v1/orders",
                json=body,
                timeout=30,
                headers={"Authorization": f"Bearer {key}", "X-Idempotency-Key": "race-key"},
            )

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(send, range(16)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["data"]["id"] for r in responses}) == 1
    with db.reading() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.external_id == "RACE-1", Order.client_ref.startswith(account))
        )
    assert count == 1
