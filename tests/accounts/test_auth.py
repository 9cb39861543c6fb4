"""Keys, scopes, tenant isolation and rate limits through the Partner API."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.conftest import Tenant, new_key, order_body, settings_for
from warpware.accounts.models import Integration
from warpware.app import create_app
from warpware.db import Database
from warpware.kit.clock import set_clock


def test_key_format_and_only_hash_stored(db: Database) -> None:
    _account, key, key_id = new_key(db)
    assert key.startswith("ww_live_") and len(key) == 40
    int(key[8:], 16)
    assert key[8:] == key[8:].lower()
    with db.reading() as session:
        integration = session.get(Integration, uuid.UUID(key_id))
        assert integration is not None
        columns = {c.key: getattr(integration, c.key) for c in Integration.__mapper__.column_attrs}
    assert key not in {str(v) for v in columns.values()}
    assert columns["key_hint"] == key[-4:]


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer ww_live_" + "0" * 32, "Basic abc", "Bearer sk_test_1"]
)
def test_missing_or_invalid_key_is_401(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/partner/v1/orders", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] in (
        "Missing API key: send Authorization: Bearer ww_live_...",
        "Invalid API key or key has been revoked",
    )
    assert response.headers["X-WarpWare-API-Version"] == "2026-02-27"


def test_revoked_key_is_401(db: Database, tenant: Tenant) -> None:
    assert tenant.get("/partner/v1/orders").status_code == 200
    with db.writing() as session:
        session.execute(
            update(Integration)
            .where(Integration.id == uuid.UUID(tenant.key_id))
            .values(revoked_at=dt.datetime.now(dt.UTC))
        )
    response = tenant.get("/partner/v1/orders")
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "Invalid API key or key has been revoked"},
    )


def test_expired_key_is_401(db: Database, tenant: Tenant) -> None:
    with db.writing() as session:
        session.execute(
            update(Integration)
            .where(Integration.id == uuid.UUID(tenant.key_id))
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    response = tenant.get("/partner/v1/orders")
    assert (response.status_code, response.json()) == (401, {"detail": "API key has expired"})


def test_read_only_key_cannot_write(db: Database, client: TestClient) -> None:
    account, key, _ = new_key(db, scopes="read")
    reader = Tenant(account, "warehouse-east", key, "", client)
    assert reader.get("/partner/v1/orders").status_code == 200
    response = reader.post("/partner/v1/orders", json=order_body())
    assert (response.status_code, response.json()) == (403, {"detail": "This API key lacks the write scope"})


def test_write_alone_is_refused_at_creation(db: Database) -> None:
    from warpware.errors import Unprocessable

    with pytest.raises(Unprocessable, match="write scope requires the read scope"):
        new_key(db, scopes="write")


def test_other_accounts_order_is_404_everywhere(tenant: Tenant, other_tenant: Tenant) -> None:
    order_id = tenant.post("/partner/v1/orders", json=order_body("MINE-1")).json()["data"]["id"]
    for method, url, kwargs in [
        ("get", f"/partner/v1/orders/{order_id}", {}),
        ("get", "/partner/v1/orders/by-external/MINE-1", {}),
        ("get", f"/partner/v1/orders/{order_id}/timeline", {}),
        ("patch", f"/partner/v1/orders/{order_id}", {"json": {"note": "x"}}),
        ("post", f"/partner/v1/orders/{order_id}/cancel", {}),
    ]:
        response = getattr(other_tenant, method)(url, **kwargs)
        assert response.status_code == 404, url
    assert other_tenant.get("/partner/v1/orders").json()["data"] == []
    assert other_tenant.get("/partner/v1/orders/stats").json()["data"]["total"] == 0
    # And the same external_id is free for the other account.
    assert other_tenant.post("/partner/v1/orders", json=order_body("MINE-1")).status_code == 201
    assert tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]["status"] == "pending"


def test_sub_client_key_sees_only_its_orders(db: Database, client: TestClient) -> None:
    account, east_key, _ = new_key(db, sub_client="east")
    _, west_key, _ = new_key(db, account=account, sub_client="west")
    _, wide_key, _ = new_key(db, account=account, sub_client=None)
    east = Tenant(account, "east", east_key, "", client)
    west = Tenant(account, "west", west_key, "", client)
    wide = Tenant(account, None, wide_key, "", client)
    east_order = east.post("/partner/v1/orders", json=order_body("E-1")).json()["data"]
    assert east_order["client_id"] == f"{account}:east"
    west.post("/partner/v1/orders", json=order_body("W-1"))
    assert [o["external_id"] for o in east.get("/partner/v1/orders").json()["data"]] == ["E-1"]
    assert west.get(f"/partner/v1/orders/{east_order['id']}").status_code == 404
    everything = wide.get("/partner/v1/orders").json()
    assert sorted(o["external_id"] for o in everything["data"]) == ["E-1", "W-1"]
    assert everything["meta"]["client_id"] == account


def test_last_active_and_orders_pushed(db: Database, tenant: Tenant) -> None:
    tenant.post("/partner/v1/orders/bulk", json={"orders": [order_body(), order_body()]})
    tenant.post("/partner/v1/orders", json=order_body())
    from warpware.accounts.repository import orders_pushed

    with db.reading() as session:
        integration = session.get(Integration, uuid.UUID(tenant.key_id))
        assert integration is not None
        assert orders_pushed(session, [integration.id]) == {integration.id: 3}
        assert integration.last_active_at is not None


@pytest.fixture
def frozen_clock() -> Iterator[dt.datetime]:
    # Mid-window, so the whole test stays inside one fixed 60 s window.
    now = dt.datetime(2026, 3, 1, 12, 0, 5, tzinfo=dt.UTC)
    set_clock(lambda: now)
    yield now
    set_clock(None)


def test_rate_limit_headers_and_429(db: Database, frozen_clock: dt.datetime) -> None:
    account, key, _ = new_key(db)
    with TestClient(create_app(settings_for(db, rate_limit_per_minute=200), database=db)) as client:
        limited = Tenant(account, "warehouse-east", key, "", client)
        first = limited.get("/partner/v1/version")
        assert first.headers["X-RateLimit-Limit"] == "200"
        assert first.headers["X-RateLimit-Remaining"] == "199"
        assert first.headers["X-RateLimit-Reset"] == "55"
        statuses = [limited.get("/partner/v1/orders/stats").status_code for _ in range(199)]
        assert set(statuses) == {200}
        over = limited.get("/partner/v1/orders")
        assert over.status_code == 429
        assert over.json()["detail"].startswith("Rate limit exceeded: 200 requests per minute")
        assert over.headers["Retry-After"] == over.headers["X-RateLimit-Reset"]
        assert over.headers["X-RateLimit-Remaining"] == "0"
        assert over.headers["X-WarpWare-API-Version"] == "2026-02-27"
        # Another key has its own window.
        _, other, _ = new_key(db, account=account)
        assert (
            client.get("/partner/v1/orders", headers={"Authorization": f"Bearer {other}"}).status_code == 200
        )


def test_auth_cache_sees_revocation_within_its_ttl(db: Database) -> None:
    import time

    account, key, key_id = new_key(db)
    with TestClient(create_app(settings_for(db, auth_cache_seconds=0.5), database=db)) as client:
        cached = Tenant(account, "warehouse-east", key, key_id, client)
        assert cached.get("/partner/v1/orders").status_code == 200
        with db.writing() as session:
            session.execute(update(Integration).where(Integration.id == uuid.UUID(key_id))
                            .values(revoked_at=dt.datetime.now(dt.UTC)))
        time.sleep(0.6)
        assert cached.get("/partner/v1/orders").status_code == 401
