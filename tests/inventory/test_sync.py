"""POST /inventory/sync end to end: changed levels are queued per sales channel, `inventory.push` jobs
set them on local Shopify (Admin GraphQL) and WooCommerce (wc/v3) stand-ins, and every push's outcome
is readable at GET /inventory/sync/pushes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant, new_key
from tests.inventory.conftest import Clock, Pipeline, set_level
from warpware.db import Database
from warpware.inventory.sync import PUSH_JOB, PUSH_MAX_ATTEMPTS
from warpware.worker import enqueue

sys.path.insert(0, str(Path(__file__).parents[1] / "connectors" / "shopify"))
sys.path.insert(0, str(Path(__file__).parents[1] / "connectors" / "woocommerce"))
from fake_shopify import PRIMARY_LOCATION, TOKEN, FakeShopify  # noqa: E402
from fake_shopify import Canned as ShopifyCanned  # noqa: E402
from fake_shopify import serve as serve_shopify  # noqa: E402
from fake_woocommerce import CONSUMER_KEY, CONSUMER_SECRET, FakeWooCommerce  # noqa: E402
from fake_woocommerce import Canned as WooCanned  # noqa: E402
from fake_woocommerce import serve as serve_woo  # noqa: E402

NO_CHANGES = {"data": {"message": "Queued 0 inventory updates for downstream sync", "queued": 0}, "meta": {}}


@pytest.fixture(scope="module")
def _shopify_server() -> Iterator[tuple[FakeShopify, str]]:
    fake = FakeShopify()
    with serve_shopify(fake.app) as url:
        yield fake, url


@pytest.fixture(scope="module")
def _woo_server() -> Iterator[tuple[FakeWooCommerce, str]]:
    fake = FakeWooCommerce()
    with serve_woo(fake.app) as url:
        yield fake, url


@pytest.fixture
def shopify(_shopify_server: tuple[FakeShopify, str]) -> FakeShopify:
    _shopify_server[0].reset()
    return _shopify_server[0]


@pytest.fixture
def woo(_woo_server: tuple[FakeWooCommerce, str]) -> FakeWooCommerce:
    _woo_server[0].reset()
    return _woo_server[0]


@pytest.fixture
def shopify_url(_shopify_server: tuple[FakeShopify, str]) -> str:
    return _shopify_server[1]


@pytest.fixture
def woo_url(_woo_server: tuple[FakeWooCommerce, str]) -> str:
    return _woo_server[1]


@pytest.fixture(autouse=True)
def _drain(run_jobs: Callable[[], int]) -> Iterator[None]:
    """The database outlives a test: run what a test left queued, so no push of it reaches the next
    test's stand-ins."""
    yield
    run_jobs()


def shopify_channel(tenant: Tenant, url: str, name: str = "Shop", **settings: Any) -> str:
    response = tenant.post(
        "/partner/v1/connections",
        json={
            "name": name,
            "type": "shopify",
            "settings": {"shop_domain": "sync-shop.myshopify.com", "base_url": url, **settings},
            "credentials": {"access_token": TOKEN, "webhook_secret": "s"},
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def woo_channel(tenant: Tenant, url: str, secret: str = CONSUMER_SECRET) -> str:
    response = tenant.post(
        "/partner/v1/connections",
        json={
            "name": "Woo",
            "type": "woocommerce",
            "settings": {"base_url": url},
            "credentials": {"consumer_key": CONSUMER_KEY, "consumer_secret": secret, "webhook_secret": "s"},
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def _sync(tenant: Tenant) -> int:
    response = tenant.post("/partner/v1/inventory/sync")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data == {
        "message": f"Queued {data['queued']} inventory updates for downstream sync",
        "queued": data["queued"],
    }
    return int(data["queued"])


def _pushes(tenant: Tenant, channel_id: str, **query: str) -> list[tuple[str, int, str, str | None]]:
    """(sku, quantity, status, detail) of a channel's pushes, oldest first, through the API."""
    response = tenant.get("/partner/v1/inventory/sync/pushes", params={"channel_id": channel_id, **query})
    assert response.status_code == 200, response.text
    rows = response.json()["data"]
    return [(p["sku"], p["quantity"], p["status"], p["detail"]) for p in reversed(rows)]


def _shop_units(shopify: FakeShopify) -> dict[str, int]:
    items = {v["inventoryItem"]["id"]: v["sku"] for v in shopify.variants}
    return {
        items[item]: units
        for (item, location), units in shopify.available.items()
        if location == PRIMARY_LOCATION
    }


def test_no_channels_nothing_queued(tenant: Tenant) -> None:
    set_level(tenant, "A", 1, "W")
    response = tenant.post("/partner/v1/inventory/sync")
    assert response.json() == NO_CHANGES


def test_changed_levels_reach_shopify_and_woocommerce_once(
    db: Database,
    tenant: Tenant,
    run_jobs: Callable[[], int],
    shopify: FakeShopify,
    woo: FakeWooCommerce,
    shopify_url: str,
    woo_url: str,
) -> None:
    shop = shopify_channel(tenant, shopify_url)
    store = woo_channel(tenant, woo_url)
    shopify.add_variant(1, "A", available=50)
    shopify.add_variant(2, "B", available=50)
    woo.add_product(101, "A", stock_quantity=50)
    woo.add_product(202, "B", parent_id=200, stock_quantity=50)
    set_level(tenant, "A", 5, "East")
    set_level(tenant, "A", 2, "West")  # a channel gets the SKU's units over every warehouse
    set_level(tenant, "B", 0, "East")
    set_level(tenant, "C", 9, "East")  # neither shop sells C

    assert _sync(tenant) == 6  # three SKUs, two channels
    assert _sync(tenant) == 0  # queued already: nothing new
    run_jobs()

    assert _shop_units(shopify) == {"A": 7, "B": 0}
    assert [[(q["inventoryItemId"][-3:], q["quantity"]) for q in batch] for batch in shopify.sets()] == [
        [("001", 7), ("002", 0)]
    ]
    assert woo.stock() == {"A": 7, "B": 0}
    assert woo.batches() == [
        ("/wp-json/wc/v3/products/batch", [{"id": 101, "manage_stock": True, "stock_quantity": 7}]),
        (
            "/wp-json/wc/v3/products/200/variations/batch",
            [{"id": 202, "manage_stock": True, "stock_quantity": 0}],
        ),
    ]
    assert _pushes(tenant, shop) == [
        ("A", 7, "pushed", None),
        ("B", 0, "pushed", None),
        ("C", 9, "not_found", "Shopify has no variant with SKU 'C'"),
    ]
    assert _pushes(tenant, store) == [
        ("A", 7, "pushed", None),
        ("B", 0, "pushed", None),
        ("C", 9, "not_found", "WooCommerce has no product with SKU 'C'"),
    ]
    assert _pushes(tenant, shop, status="not_found") == [
        ("C", 9, "not_found", "Shopify has no variant with SKU 'C'")
    ]

    # Nothing changed: nothing is queued and neither shop hears from us. A push job that runs again
    # (a worker died before its "done" landed) sends nothing either: its pushes are recorded.
    shopify.requests.clear()
    woo.requests.clear()
    assert _sync(tenant) == 0
    ids = [p["id"] for p in tenant.get("/partner/v1/inventory/sync/pushes").json()["data"]]
    with db.writing() as session:
        enqueue(session, PUSH_JOB, {"push_ids": sorted(ids)})
    assert run_jobs() == 1
    assert shopify.requests == [] and woo.requests == []

    # One SKU changes: only it goes out, to both channels.
    response = tenant.post(
        "/partner/v1/inventory/adjust", json={"sku": "A", "adjustment": -3, "warehouse": "East"}
    )
    assert response.status_code == 200, response.text
    assert _sync(tenant) == 2
    run_jobs()
    assert [[q["quantity"] for q in batch] for batch in shopify.sets()] == [[4]]
    assert woo.stock() == {"A": 4, "B": 0}
    assert _pushes(tenant, shop)[-1] == ("A", 4, "pushed", None)


def test_available_is_on_hand_less_committed(
    pipeline: Pipeline, shopify: FakeShopify, woo: FakeWooCommerce, shopify_url: str
) -> None:
    shopify_channel(pipeline.tenant, shopify_url)
    shopify.add_variant(1, "WIDGET-RED-LG")
    set_level(pipeline.tenant, "WIDGET-RED-LG", 10, "Sandbox")
    pipeline.order("SYNC-COMMIT-1")  # 2 units, routed to the sandbox warehouse
    pipeline.run_jobs()
    assert _sync(pipeline.tenant) == 1
    pipeline.run_jobs()
    assert _shop_units(shopify) == {"WIDGET-RED-LG": 8}


def test_rate_limited_push_waits_for_retry_after_then_goes_through(
    tenant: Tenant, run_jobs: Callable[[], int], clock: Clock, shopify: FakeShopify, shopify_url: str
) -> None:
    shop = shopify_channel(tenant, shopify_url)
    shopify.add_variant(1, "A")
    shopify.add_variant(2, "B")
    set_level(tenant, "A", 3, "East")
    set_level(tenant, "B", 4, "East")
    shopify.canned_ops["WarpwareInventorySet"] = [
        ShopifyCanned(429, b'{"errors":"Exceeded 2 calls per second for api client."}', {"Retry-After": "5"})
    ]
    assert _sync(tenant) == 2
    run_jobs()
    waiting = "Will retry: rate_limit: Shopify rate limit: Exceeded 2 calls per second for api client."
    assert _pushes(tenant, shop) == [("A", 3, "queued", waiting), ("B", 4, "queued", waiting)]
    assert _shop_units(shopify) == {"A": 0, "B": 0}

    clock.advance(4)
    run_jobs()  # not due yet
    assert _pushes(tenant, shop)[0][2] == "queued"
    clock.advance(1)
    run_jobs()
    assert _pushes(tenant, shop) == [("A", 3, "pushed", None), ("B", 4, "pushed", None)]
    assert _shop_units(shopify) == {"A": 3, "B": 4}
    rows = tenant.get("/partner/v1/inventory/sync/pushes", params={"channel_id": shop}).json()["data"]
    assert [r["attempts"] for r in rows] == [2, 2]
    assert [len(batch) for batch in shopify.sets()] == [2, 2]  # the 429'd call, then the one that went in


def test_a_channel_that_stays_rate_limited_fails_after_the_last_attempt(
    tenant: Tenant, run_jobs: Callable[[], int], woo: FakeWooCommerce, woo_url: str
) -> None:
    store = woo_channel(tenant, woo_url)
    woo.add_product(101, "A")
    set_level(tenant, "A", 3, "East")
    busy = WooCanned(429, b'{"code":"rate_limited","message":"Slow down"}', {"Retry-After": "0"})
    woo.canned_paths["/wp-json/wc/v3/products/batch"] = [busy] * (PUSH_MAX_ATTEMPTS + 1)
    assert _sync(tenant) == 1
    run_jobs()
    assert len(woo.batches()) == PUSH_MAX_ATTEMPTS
    assert _pushes(tenant, store) == [
        ("A", 3, "failed", "rate_limit: WooCommerce rate limit: Slow down (rate_limited)")
    ]
    rows = tenant.get("/partner/v1/inventory/sync/pushes", params={"channel_id": store}).json()["data"]
    assert rows[0]["attempts"] == PUSH_MAX_ATTEMPTS
    assert woo.stock() == {"A": None}
    woo.canned_paths.clear()
    assert _sync(tenant) == 1  # failed: queued again by the next sync
    run_jobs()
    assert woo.stock() == {"A": 3}


def test_user_errors_fail_one_sku_and_refused_keys_fail_them_all(
    tenant: Tenant,
    run_jobs: Callable[[], int],
    shopify: FakeShopify,
    woo: FakeWooCommerce,
    shopify_url: str,
    woo_url: str,
) -> None:
    shop = shopify_channel(tenant, shopify_url)
    store = woo_channel(tenant, woo_url, secret="cs_revoked")
    popup = shopify.add_location(65432177, "Pop-up")
    shopify.add_variant(1, "A")
    shopify.add_variant(2, "POPUP", locations=[popup])
    woo.add_product(101, "A")
    set_level(tenant, "A", 3, "East")
    set_level(tenant, "POPUP", 1, "East")
    assert _sync(tenant) == 4
    run_jobs()
    assert _pushes(tenant, shop) == [
        ("A", 3, "pushed", None),
        (
            "POPUP",
            1,
            "failed",
            "Shopify inventorySetQuantities: The specified inventory item is not stocked at the location. "
            "(ITEM_NOT_STOCKED_AT_LOCATION)",
        ),
    ]
    refused = "auth: WooCommerce refused the API keys (401): Sorry, you cannot list resources. "
    refused += "(woocommerce_rest_cannot_view)"
    assert _pushes(tenant, store) == [("A", 3, "failed", refused), ("POPUP", 1, "failed", refused)]
    assert woo.batches() == []
    # A permanent failure is not retried by the worker; the next sync queues failed pushes again.
    assert [r.path for r in woo.requests] == ["/wp-json/wc/v3/products"]
    assert _sync(tenant) == 3
    health = tenant.get(f"/partner/v1/connections/{store}").json()["data"]
    assert "WooCommerce refused the API keys (401)" in str(health)


def test_the_configured_shopify_location_gets_the_units(
    tenant: Tenant, run_jobs: Callable[[], int], shopify: FakeShopify, shopify_url: str
) -> None:
    back = shopify.add_location(65432199, "Back store")
    item = shopify.add_variant(1, "A", locations=[back])
    shopify_channel(tenant, shopify_url, location_id="65432199")
    set_level(tenant, "A", 6, "East")
    assert _sync(tenant) == 1
    run_jobs()
    assert shopify.available[(item, back)] == 6
    assert "WarpwarePrimaryLocation" not in [r.operation for r in shopify.requests]
    shop_locations = tenant.get("/partner/v1/locations", params={"platform": "shopify"}).json()["data"]
    assert [(loc["name"], loc["platform_location_id"]) for loc in shop_locations] == [("Shop", "65432199")]


def test_a_deleted_channel_skips_its_queued_pushes(
    tenant: Tenant, run_jobs: Callable[[], int], shopify: FakeShopify, shopify_url: str
) -> None:
    shop = shopify_channel(tenant, shopify_url)
    shopify.add_variant(1, "A")
    set_level(tenant, "A", 2, "East")
    assert _sync(tenant) == 1
    assert tenant.delete(f"/partner/v1/connections/{shop}").status_code in (200, 204)
    run_jobs()
    assert shopify.requests == []
    rows = tenant.get("/partner/v1/inventory/sync/pushes", params={"status": "skipped"}).json()["data"]
    assert [(r["sku"], r["detail"]) for r in rows] == [("A", "The channel connection no longer exists")]


def test_channels_get_their_own_clients_stock(
    db: Database,
    client: TestClient,
    tenant: Tenant,
    run_jobs: Callable[[], int],
    shopify: FakeShopify,
    shopify_url: str,
) -> None:
    shop = shopify_channel(tenant, shopify_url)  # warehouse-east's
    _, west_key, west_id = new_key(db, account=tenant.account, sub_client="warehouse-west")
    west = Tenant(tenant.account, "warehouse-west", west_key, west_id, client)
    west_shop = shopify_channel(west, shopify_url, name="West shop")
    set_level(tenant, "EAST-SKU", 1, "Shared DC")
    set_level(west, "WEST-SKU", 2, "Shared DC")
    assert _sync(tenant) == 1  # a sub-client key syncs its own channels only
    assert [p[0] for p in _pushes(tenant, shop)] == ["EAST-SKU"]
    assert _sync(west) == 1
    assert [p[:2] for p in _pushes(west, west_shop)] == [("WEST-SKU", 2)]
    # Each sub-client reads its own channels' pushes only.
    assert _pushes(tenant, west_shop) == []
    everything = west.get("/partner/v1/inventory/sync/pushes").json()["data"]
    assert [p["sku"] for p in everything] == ["WEST-SKU"]


def test_push_list_pages_and_refuses_bad_filters(
    tenant: Tenant, shopify: FakeShopify, shopify_url: str
) -> None:
    shopify_channel(tenant, shopify_url)
    for sku in ("A", "B", "C"):
        set_level(tenant, sku, 1, "East")
    assert _sync(tenant) == 3
    first = tenant.get("/partner/v1/inventory/sync/pushes", params={"after": "", "per_page": 2}).json()
    assert [p["sku"] for p in first["data"]] == ["C", "B"]
    assert first["meta"]["has_more"] is True
    rest = tenant.get(
        "/partner/v1/inventory/sync/pushes", params={"after": first["meta"]["next_cursor"], "per_page": 2}
    ).json()
    assert [p["sku"] for p in rest["data"]] == ["A"] and rest["meta"]["has_more"] is False
    paged = tenant.get("/partner/v1/inventory/sync/pushes", params={"page": 2, "per_page": 2}).json()
    assert [p["sku"] for p in paged["data"]] == ["A"]
    assert paged["meta"]["total"] == 3
    assert {p["status"] for p in first["data"]} == {"queued"}
    bad = tenant.get("/partner/v1/inventory/sync/pushes", params={"status": "done"})
    assert bad.status_code == 400
    assert "Unknown status 'done'" in bad.json()["detail"]
    assert tenant.get("/partner/v1/inventory/sync/pushes", params={"channel_id": "x"}).status_code == 400
