"""WooCommerceInventoryTarget against the local wc/v3 stand-in: SKU lookup (products and variations),
the batch endpoints, per-item errors, batching, 429 and refused keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_woocommerce import CONSUMER_KEY, CONSUMER_SECRET, Canned, FakeWooCommerce
from pydantic import SecretStr

from warpware.connectors.base import (
    InventoryLevelPush,
    InventoryPushInterrupted,
    PermanentConnectorError,
    RetryableConnectorError,
    SkuPushResult,
)
from warpware.connectors.woocommerce import WooCommerceCredentials, WooCommerceSettings
from warpware.connectors.woocommerce.inventory import WooCommerceInventoryTarget


def _target(url: str, secret: str = CONSUMER_SECRET) -> WooCommerceInventoryTarget:
    return WooCommerceInventoryTarget(
        WooCommerceSettings(base_url=url, timeout_seconds=2),
        WooCommerceCredentials(consumer_key=SecretStr(CONSUMER_KEY), consumer_secret=SecretStr(secret)),
    )


@pytest.fixture
def target(woo_url: str) -> Iterator[WooCommerceInventoryTarget]:
    target = _target(woo_url)
    yield target
    target.close()


def _levels(**units: int) -> list[InventoryLevelPush]:
    return [InventoryLevelPush(sku, available) for sku, available in units.items()]


def test_products_and_variations_get_their_stock(
    woo: FakeWooCommerce, target: WooCommerceInventoryTarget
) -> None:
    woo.add_product(101, "MUG", stock_quantity=50)
    woo.add_product(202, "TEE-M", parent_id=200)
    woo.add_product(203, "TEE-L", parent_id=200, stock_quantity=1)

    result = target.push_inventory(_levels(MUG=4, **{"TEE-M": 7, "TEE-L": 0}, GONE=2))

    assert result.by_sku() == {
        "GONE": SkuPushResult("GONE", "not_found", "WooCommerce has no product with SKU 'GONE'"),
        "MUG": SkuPushResult("MUG", "pushed"),
        "TEE-M": SkuPushResult("TEE-M", "pushed"),
        "TEE-L": SkuPushResult("TEE-L", "pushed"),
    }
    assert [(r.method, r.path, r.query, r.body) for r in woo.requests] == [
        (
            "GET",
            "/wp-json/wc/v3/products",
            {"sku": "MUG,TEE-M,TEE-L,GONE", "per_page": "100", "page": "1"},
            None,
        ),
        (
            "POST",
            "/wp-json/wc/v3/products/batch",
            {},
            {"update": [{"id": 101, "manage_stock": True, "stock_quantity": 4}]},
        ),
        (
            "POST",
            "/wp-json/wc/v3/products/200/variations/batch",
            {},
            {
                "update": [
                    {"id": 202, "manage_stock": True, "stock_quantity": 7},
                    {"id": 203, "manage_stock": True, "stock_quantity": 0},
                ]
            },
        ),
    ]
    assert woo.stock() == {"MUG": 4, "TEE-M": 7, "TEE-L": 0}
    assert woo.products[202]["manage_stock"] is True


def test_a_refused_item_fails_alone(woo: FakeWooCommerce, target: WooCommerceInventoryTarget) -> None:
    woo.add_product(101, "MUG")
    woo.add_product(102, "LOCKED", stock_quantity=3)
    woo.refuse[102] = ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.")
    result = target.push_inventory(_levels(MUG=1, LOCKED=9))
    assert result.by_sku() == {
        "MUG": SkuPushResult("MUG", "pushed"),
        "LOCKED": SkuPushResult(
            "LOCKED",
            "failed",
            "WooCommerce refused the update: Sorry, you are not allowed to edit this resource. "
            "(woocommerce_rest_cannot_edit)",
        ),
    }
    assert woo.stock() == {"MUG": 1, "LOCKED": 3}


def test_a_sku_with_a_comma_is_looked_up_alone(
    woo: FakeWooCommerce, target: WooCommerceInventoryTarget
) -> None:
    woo.add_product(101, "A,B")
    woo.add_product(102, "A")
    result = target.push_inventory(_levels(**{"A,B": 2}))
    assert result.by_sku() == {"A,B": SkuPushResult("A,B", "pushed")}
    assert woo.requests[0].query["sku"] == "A,B"
    assert woo.stock() == {"A,B": 2, "A": None}


def test_large_pushes_are_batched(woo: FakeWooCommerce, target: WooCommerceInventoryTarget) -> None:
    for i in range(150):
        woo.add_product(1000 + i, f"SKU-{i:03d}")
    result = target.push_inventory([InventoryLevelPush(f"SKU-{i:03d}", i) for i in range(150)])
    assert [r.outcome for r in result.results] == ["pushed"] * 150
    assert [r.method for r in woo.requests].count("GET") == 3  # 50 SKUs per search
    assert [len(items) for _, items in woo.batches()] == [100, 50]
    assert woo.stock()["SKU-149"] == 149


def test_429_is_retryable_with_retry_after(woo: FakeWooCommerce, target: WooCommerceInventoryTarget) -> None:
    woo.add_product(101, "MUG")
    woo.canned.append(
        Canned(429, b'{"code":"rate_limited","message":"Too many requests"}', {"Retry-After": "30"})
    )
    with pytest.raises(RetryableConnectorError) as caught:
        target.push_inventory(_levels(MUG=1))
    assert (caught.value.category, caught.value.retry_after, caught.value.status_code) == (
        "rate_limit",
        30.0,
        429,
    )


def test_429_on_the_update_keeps_the_not_found(
    woo: FakeWooCommerce, target: WooCommerceInventoryTarget
) -> None:
    woo.add_product(101, "MUG")
    woo.canned_paths["/wp-json/wc/v3/products/batch"] = [
        Canned(429, b'{"code":"rate_limited","message":"Too many requests"}', {"Retry-After": "3"})
    ]
    with pytest.raises(InventoryPushInterrupted) as caught:
        target.push_inventory(_levels(GONE=1, MUG=5))
    assert caught.value.settled == (
        SkuPushResult("GONE", "not_found", "WooCommerce has no product with SKU 'GONE'"),
    )
    assert isinstance(caught.value.cause, RetryableConnectorError)
    assert caught.value.cause.retry_after == 3.0
    assert woo.stock() == {"MUG": None}


def test_refused_keys_are_permanent(woo: FakeWooCommerce, woo_url: str) -> None:
    target = _target(woo_url, secret="cs_wrong")
    try:
        with pytest.raises(PermanentConnectorError) as caught:
            target.push_inventory(_levels(MUG=1))
    finally:
        target.close()
    assert (caught.value.category, caught.value.status_code) == ("auth", 401)
