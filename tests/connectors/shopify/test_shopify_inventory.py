"""ShopifyInventoryTarget against the local Admin GraphQL stand-in: SKU lookup, location, the
inventorySetQuantities mutation, userErrors, batching and throttling."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fake_shopify import PRIMARY_LOCATION, TOKEN, Canned, FakeShopify
from pydantic import SecretStr, ValidationError

from warpware.connectors.base import (
    InventoryLevelPush,
    InventoryPushInterrupted,
    PermanentConnectorError,
    RetryableConnectorError,
    SkuPushResult,
)
from warpware.connectors.shopify import ShopifyCredentials, ShopifySettings
from warpware.connectors.shopify.inventory import ShopifyInventoryTarget, search_term


def _target(url: str, token: str = TOKEN, **settings: str) -> ShopifyInventoryTarget:
    return ShopifyInventoryTarget(
        ShopifySettings(
            shop_domain="warpware-demo.myshopify.com", base_url=url, timeout_seconds=2, **settings
        ),
        ShopifyCredentials(access_token=SecretStr(token)),
    )


@pytest.fixture
def target(shopify_url: str) -> Iterator[ShopifyInventoryTarget]:
    target = _target(shopify_url)
    yield target
    target.close()


def _levels(**units: int) -> list[InventoryLevelPush]:
    return [InventoryLevelPush(sku, available) for sku, available in units.items()]


def test_sets_available_units_at_the_primary_location(
    shopify: FakeShopify, target: ShopifyInventoryTarget
) -> None:
    tee = shopify.add_variant(1, "TEE", available=40)
    mug = shopify.add_variant(2, "MUG", available=3)
    shopify.add_variant(3, "TEE-XL", available=9)  # Shopify's search also returns it for sku:"TEE"

    result = target.push_inventory(_levels(TEE=5, MUG=0, GONE=4))

    assert result.by_sku() == {
        "GONE": SkuPushResult("GONE", "not_found", "Shopify has no variant with SKU 'GONE'"),
        "TEE": SkuPushResult("TEE", "pushed"),
        "MUG": SkuPushResult("MUG", "pushed"),
    }
    assert [r.operation for r in shopify.requests] == [
        "WarpwarePrimaryLocation",
        "WarpwareVariantsBySku",
        "WarpwareInventorySet",
    ]
    assert shopify.requests[1].variables == {
        "query": 'sku:"TEE" OR sku:"MUG" OR sku:"GONE"',
        "first": 250,
        "after": None,
    }
    mutation = shopify.requests[2].variables["input"]
    assert mutation == {
        "name": "available",
        "reason": "correction",
        "ignoreCompareQuantity": True,
        "quantities": [
            {"inventoryItemId": tee, "locationId": PRIMARY_LOCATION, "quantity": 5},
            {"inventoryItemId": mug, "locationId": PRIMARY_LOCATION, "quantity": 0},
        ],
    }
    assert shopify.available[(tee, PRIMARY_LOCATION)] == 5
    assert shopify.available[(mug, PRIMARY_LOCATION)] == 0
    assert shopify.requests[2].headers["x-shopify-access-token"] == TOKEN


def test_the_configured_location_is_used_without_asking_for_the_primary_one(
    shopify: FakeShopify, shopify_url: str
) -> None:
    store = shopify.add_location(65432199, "Back store")
    item = shopify.add_variant(1, "TEE", available=1, locations=[store])
    target = _target(shopify_url, location_id="65432199")
    try:
        assert target.push_inventory(_levels(TEE=8)).by_sku()["TEE"].outcome == "pushed"
    finally:
        target.close()
    assert [r.operation for r in shopify.requests] == ["WarpwareVariantsBySku", "WarpwareInventorySet"]
    assert shopify.available[(item, store)] == 8


def test_location_id_setting_is_validated() -> None:
    assert ShopifySettings(
        shop_domain="a.myshopify.com", location_id="gid://shopify/Location/7"
    ).location_id == ("gid://shopify/Location/7")
    with pytest.raises(ValidationError, match="location_id must be a Shopify location id"):
        ShopifySettings(shop_domain="a.myshopify.com", location_id="Main street")


def test_a_refused_quantity_fails_alone_and_the_rest_is_sent_again(
    shopify: FakeShopify, shopify_url: str
) -> None:
    elsewhere = shopify.add_location(65432177, "Pop-up")
    tee = shopify.add_variant(1, "TEE")
    shopify.add_variant(2, "POPUP-ONLY", locations=[elsewhere])  # not stocked at the primary location
    mug = shopify.add_variant(3, "MUG")
    target = _target(shopify_url)
    try:
        result = target.push_inventory(_levels(TEE=1, **{"POPUP-ONLY": 2}, MUG=3))
    finally:
        target.close()
    assert result.by_sku() == {
        "POPUP-ONLY": SkuPushResult(
            "POPUP-ONLY",
            "failed",
            "Shopify inventorySetQuantities: The specified inventory item is not stocked at the location. "
            "(ITEM_NOT_STOCKED_AT_LOCATION)",
        ),
        "TEE": SkuPushResult("TEE", "pushed"),
        "MUG": SkuPushResult("MUG", "pushed"),
    }
    # The first mutation was refused as a whole; the second carries the two others.
    assert [[q["quantity"] for q in quantities] for quantities in shopify.sets()] == [[1, 2, 3], [1, 3]]
    assert shopify.available[(tee, PRIMARY_LOCATION)] == 1
    assert shopify.available[(mug, PRIMARY_LOCATION)] == 3


def test_untracked_and_shared_skus_fail_without_a_mutation(
    shopify: FakeShopify, target: ShopifyInventoryTarget
) -> None:
    shopify.add_variant(1, "LOOSE", tracked=False)
    shopify.add_variant(2, "TWIN")
    shopify.add_variant(3, "TWIN")
    result = target.push_inventory(_levels(LOOSE=1, TWIN=2))
    assert result.by_sku() == {
        "LOOSE": SkuPushResult(
            "LOOSE",
            "failed",
            "Shopify does not track inventory for SKU 'LOOSE' (turn on 'Track quantity' for the variant)",
        ),
        "TWIN": SkuPushResult(
            "TWIN",
            "failed",
            "2 Shopify variants share SKU 'TWIN'; not pushed "
            "(setting each would list the stock more than once)",
        ),
    }
    assert shopify.sets() == []


def test_a_sku_with_quotes_and_spaces_is_one_search_value(
    shopify: FakeShopify, target: ShopifyInventoryTarget
) -> None:
    sku = 'TEE "XL" \\ 2'
    assert search_term(sku) == 'sku:"TEE \\"XL\\" \\\\ 2"'
    item = shopify.add_variant(1, sku)
    assert target.push_inventory(_levels(**{sku: 6})).by_sku()[sku].outcome == "pushed"
    assert shopify.available[(item, PRIMARY_LOCATION)] == 6


def test_large_pushes_are_batched(shopify: FakeShopify, target: ShopifyInventoryTarget) -> None:
    skus = [f"SKU-{i:04d}" for i in range(260)]
    for i, sku in enumerate(skus):
        shopify.add_variant(1000 + i, sku)

    result = target.push_inventory([InventoryLevelPush(sku, i) for i, sku in enumerate(skus)])

    assert [r.outcome for r in result.results] == ["pushed"] * 260
    operations = [r.operation for r in shopify.requests]
    assert operations.count("WarpwareVariantsBySku") == 6  # 50 SKUs per search
    assert [len(quantities) for quantities in shopify.sets()] == [250, 10]
    assert shopify.available[(shopify.variants[259]["inventoryItem"]["id"], PRIMARY_LOCATION)] == 259


def test_http_429_is_retryable_with_retry_after(shopify: FakeShopify, target: ShopifyInventoryTarget) -> None:
    shopify.add_variant(1, "TEE")
    shopify.canned.append(Canned(429, b'{"errors":"Exceeded 2 calls per second"}', {"Retry-After": "2.0"}))
    with pytest.raises(RetryableConnectorError) as caught:
        target.push_inventory(_levels(TEE=1))
    assert (caught.value.category, caught.value.retry_after, caught.value.status_code) == (
        "rate_limit",
        2.0,
        429,
    )


def test_throttled_mutation_after_a_not_found_keeps_what_was_settled(
    shopify: FakeShopify, target: ShopifyInventoryTarget
) -> None:
    shopify.add_variant(1, "TEE")
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 112,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": 12,
                    "restoreRate": 100.0,
                },
            }
        },
    }
    shopify.canned_ops["WarpwareInventorySet"] = [Canned(200, json.dumps(throttled).encode())]

    with pytest.raises(InventoryPushInterrupted) as caught:
        target.push_inventory(_levels(GONE=1, TEE=2))

    assert caught.value.settled == (
        SkuPushResult("GONE", "not_found", "Shopify has no variant with SKU 'GONE'"),
    )
    cause = caught.value.cause
    assert isinstance(cause, RetryableConnectorError)
    assert (cause.category, cause.retry_after) == ("rate_limit", 1.0)
    # Sent again, the same push goes through.
    assert target.push_inventory(_levels(TEE=2)).by_sku()["TEE"].outcome == "pushed"


def test_a_refused_token_is_permanent(shopify: FakeShopify, shopify_url: str) -> None:
    target = _target(shopify_url, token="shpat_revoked")
    try:
        with pytest.raises(PermanentConnectorError) as caught:
            target.push_inventory(_levels(TEE=1))
    finally:
        target.close()
    assert (caught.value.category, caught.value.status_code) == ("auth", 401)
