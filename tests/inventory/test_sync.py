"""POST /inventory/sync: changed levels are queued per sales channel; `inventory.push` jobs record each
push's outcome (skipped with the reason where our connector has no inventory API)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Tenant, new_key
from tests.inventory.conftest import set_level
from warpware.connections.models import Connection
from warpware.connectors.base import PermanentConnectorError, RetryableConnectorError
from warpware.db import Database
from warpware.inventory import sync
from warpware.inventory.models import InventoryPush

SHOPIFY = {
    "name": "Shop",
    "type": "shopify",
    "settings": {"shop_domain": "sync-shop.myshopify.com"},
    "credentials": {"access_token": "shpat_x", "webhook_secret": "s"},
}
WOO = {
    "name": "Woo",
    "type": "woocommerce",
    "settings": {"base_url": "https://woo.example.com"},
    "credentials": {"consumer_key": "ck", "consumer_secret": "cs", "webhook_secret": "s"},
}


def _sync(tenant: Tenant) -> int:
    response = tenant.post("/partner/v1/inventory/sync")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data == {
        "message": f"Queued {data['queued']} inventory updates for downstream sync",
        "queued": data["queued"],
    }
    return int(data["queued"])


def _pushes(db: Database, connection_id: str) -> list[tuple[str, int, str, str | None]]:
    with db.reading() as session:
        rows = session.scalars(
            select(InventoryPush)
            .where(InventoryPush.connection_id == uuid.UUID(connection_id))
            .order_by(InventoryPush.id)
        )
        return [(p.sku, p.quantity, p.status, p.detail) for p in rows]


def test_no_channels_nothing_queued(tenant: Tenant) -> None:
    set_level(tenant, "A", 1, "W")
    response = tenant.post("/partner/v1/inventory/sync")
    assert response.json() == {
        "data": {"message": "Queued 0 inventory updates for downstream sync", "queued": 0},
        "meta": {},
    }


def test_changed_levels_are_queued_once_and_skipped_without_an_api(
    db: Database, tenant: Tenant, run_jobs: Callable[[], int]
) -> None:
    shop = tenant.post("/partner/v1/connections", json=SHOPIFY).json()["data"]["id"]
    set_level(tenant, "A", 5, "East")
    set_level(tenant, "A", 2, "West")  # a channel gets the SKU's total over every warehouse
    set_level(tenant, "B", 0, "East")
    set_level(tenant, "C", 9, "East")
    assert _sync(tenant) == 3
    assert _sync(tenant) == 0  # nothing changed since
    tenant.post("/partner/v1/inventory/adjust", json={"sku": "C", "adjustment": -4})
    assert _sync(tenant) == 1
    run_jobs()
    reason = "shopify connections have no inventory API in WarpWare's connectors; not pushed"
    assert _pushes(db, shop) == [
        ("A", 7, "skipped", reason),
        ("B", 0, "skipped", reason),
        ("C", 9, "superseded", "A newer push of this SKU was queued"),
        ("C", 5, "skipped", reason),
    ]
    assert _sync(tenant) == 0


class RecordingPublisher:
    def __init__(self, sent: list[tuple[str, int]], fail_on: str | None, retry_once: str | None) -> None:
        self.sent, self.fail_on, self.retry_once = sent, fail_on, retry_once

    def set_available(self, sku: str, quantity: int) -> None:
        if sku == self.retry_once:
            self.retry_once = None
            raise RetryableConnectorError("busy", category="rate_limit", retry_after=0)
        if sku == self.fail_on:
            raise PermanentConnectorError("Unknown product", category="validation")
        self.sent.append((sku, quantity))


@pytest.fixture
def woo_publisher() -> Iterator[list[tuple[str, int]]]:
    """A channel type with an inventory API (our WooCommerce connector has none yet)."""
    sent: list[tuple[str, int]] = []
    state = {"retry_once": "B"}

    def factory(_connection: Connection) -> RecordingPublisher:
        publisher = RecordingPublisher(sent, "BAD", state.pop("retry_once", None))
        return publisher

    sync.PUBLISHERS["woocommerce"] = factory
    yield sent
    del sync.PUBLISHERS["woocommerce"]


def test_pushes_with_a_publisher(
    db: Database, tenant: Tenant, run_jobs: Callable[[], int], woo_publisher: list[tuple[str, int]]
) -> None:
    woo = tenant.post("/partner/v1/connections", json=WOO).json()["data"]["id"]
    set_level(tenant, "A", 3, "East")
    set_level(tenant, "B", 4, "East")
    set_level(tenant, "BAD", 1, "East")
    assert _sync(tenant) == 3
    run_jobs()
    assert woo_publisher == [("A", 3), ("B", 4)]  # B after one retry
    assert _pushes(db, woo) == [
        ("A", 3, "pushed", None),
        ("B", 4, "pushed", None),
        ("BAD", 1, "failed", "validation: Unknown product"),
    ]
    assert _sync(tenant) == 1  # a failed push is queued again


def test_channels_get_their_own_clients_stock(
    db: Database, client: TestClient, tenant: Tenant, run_jobs: Callable[[], int]
) -> None:
    shop = tenant.post("/partner/v1/connections", json=SHOPIFY).json()["data"]["id"]  # warehouse-east's
    _, west_key, west_id = new_key(db, account=tenant.account, sub_client="warehouse-west")
    west = Tenant(tenant.account, "warehouse-west", west_key, west_id, client)
    west_shop = west.post("/partner/v1/connections", json={**SHOPIFY, "name": "West shop"}).json()["data"][
        "id"
    ]
    set_level(tenant, "EAST-SKU", 1, "Shared DC")
    set_level(west, "WEST-SKU", 2, "Shared DC")
    assert _sync(tenant) == 1  # a sub-client key syncs its own channels only
    assert [p[0] for p in _pushes(db, shop)] == ["EAST-SKU"]
    assert _pushes(db, west_shop) == []
    assert _sync(west) == 1
    assert [p[:2] for p in _pushes(db, west_shop)] == [("WEST-SKU", 2)]
