from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fake_shopify import API_VERSION, TOKEN, Canned, FakeShopify
from pydantic import SecretStr, ValidationError

from warpware.connectors.base import (
    LineItem,
    PermanentConnectorError,
    RetryableConnectorError,
    ShipmentNotice,
)
from warpware.connectors.shopify import (
    ShopifyCredentials,
    ShopifySettings,
    ShopifyTrackingWriter,
    shopify_carrier_company,
)
from warpware.connectors.shopify.fulfillment import (
    FULFILLMENT_CREATE_MUTATION,
    FULFILLMENT_STATE_QUERY,
    TRACKING_UPDATE_MUTATION,
)

ORDER_ID = 9007199254740993421
ORDER_GID = f"gid://shopify/Order/{ORDER_ID}"
FO_GID = "gid://shopify/FulfillmentOrder/6100000001"


def _open_fulfillment_order() -> dict[str, Any]:
    return {
        "id": FO_GID,
        "status": "OPEN",
        "lineItems": {
            "nodes": [
                {
                    "id": "gid://shopify/FulfillmentOrderLineItem/7200000011",
                    "remainingQuantity": 2,
                    "lineItem": {"id": "gid://shopify/LineItem/14220561100011", "sku": "TEE-RED-M"},
                },
                {
                    "id": "gid://shopify/FulfillmentOrderLineItem/7200000012",
                    "remainingQuantity": 1,
                    "lineItem": {"id": "gid://shopify/LineItem/14220561100012", "sku": None},
                },
            ]
        },
    }


def _notice(**changes: Any) -> ShipmentNotice:
    fields: dict[str, Any] = {
        "order_id": "ord_1",
        "external_id": "#1001",
        "channel_order_id": str(ORDER_ID),
        "carrier": "ups",
        "tracking_number": "1Z999AA10123456784",
    }
    fields.update(changes)
    return ShipmentNotice(**fields)


@pytest.fixture
def writer(shopify_url: str) -> Iterator[ShopifyTrackingWriter]:
    settings = ShopifySettings(
        shop_domain="warpware-demo.myshopify.com", base_url=shopify_url, timeout_seconds=2
    )
    writer = ShopifyTrackingWriter(settings, ShopifyCredentials(access_token=SecretStr(TOKEN)))
    yield writer
    writer.close()


def test_first_shipment_creates_a_fulfillment_for_every_open_line(
    shopify: FakeShopify, writer: ShopifyTrackingWriter
) -> None:
    shopify.add_order(ORDER_ID, [_open_fulfillment_order()])

    writer.write_tracking(_notice(tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784"))

    state, create = shopify.requests
    assert state.path == f"/admin/api/{API_VERSION}/graphql.json"
    assert state.headers["x-shopify-access-token"] == TOKEN
    assert state.headers["content-type"] == "application/json"
    assert (state.operation, state.query, state.variables) == (
        "WarpwareFulfillmentState",
        FULFILLMENT_STATE_QUERY,
        {"id": ORDER_GID},
    )
    assert (create.operation, create.query) == ("WarpwareFulfillmentCreate", FULFILLMENT_CREATE_MUTATION)
    assert create.variables == {
        "fulfillment": {
            "lineItemsByFulfillmentOrder": [
                {
                    "fulfillmentOrderId": FO_GID,
                    "fulfillmentOrderLineItems": [
                        {"id": "gid://shopify/FulfillmentOrderLineItem/7200000011", "quantity": 2},
                        {"id": "gid://shopify/FulfillmentOrderLineItem/7200000012", "quantity": 1},
                    ],
                }
            ],
            "notifyCustomer": True,
            "trackingInfo": {
                "number": "1Z999AA10123456784",
                "company": "UPS",
                "url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
            },
        }
    }
    order = shopify.orders[ORDER_GID]
    assert order["fulfillmentOrders"][0]["status"] == "CLOSED"
    assert order["fulfillments"][0]["trackingInfo"] == [
        {
            "company": "UPS",
            "number": "1Z999AA10123456784",
            "url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        }
    ]


def test_a_partial_shipment_fulfils_only_the_named_lines(
    shopify: FakeShopify, writer: ShopifyTrackingWriter
) -> None:
    shopify.add_order(ORDER_ID, [_open_fulfillment_order()])

    writer.write_tracking(
        _notice(
            carrier="USPS",
            tracking_number="9400111899223197428490",
            line_items=(LineItem(sku="TEE-RED-M", quantity=1, channel_line_id="14220561100011"),),
        )
    )
    writer.write_tracking(
        _notice(
            carrier="Acme Freight",
            tracking_number="ACME-55",
            tracking_url="https://acme.example/t/ACME-55",
            line_items=(LineItem(sku="TEE-RED-M", quantity=1),),
        )
    )

    first, second = shopify.requests[1].variables, shopify.requests[3].variables
    assert first["fulfillment"]["lineItemsByFulfillmentOrder"] == [
        {
            "fulfillmentOrderId": FO_GID,
            "fulfillmentOrderLineItems": [
                {"id": "gid://shopify/FulfillmentOrderLineItem/7200000011", "quantity": 1}
            ],
        }
    ]
    assert first["fulfillment"]["trackingInfo"] == {"number": "9400111899223197428490", "company": "USPS"}
    # Matched by SKU when the notice has no Shopify line id; unknown carriers pass through with their URL.
    assert second["fulfillment"]["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"] == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/7200000011", "quantity": 1}
    ]
    assert second["fulfillment"]["trackingInfo"] == {
        "number": "ACME-55",
        "company": "Acme Freight",
        "url": "https://acme.example/t/ACME-55",
    }
    fulfillment_order = shopify.orders[ORDER_GID]["fulfillmentOrders"][0]
    assert fulfillment_order["status"] == "IN_PROGRESS"
    assert [n["remainingQuantity"] for n in fulfillment_order["lineItems"]["nodes"]] == [0, 1]


def test_sending_the_same_tracking_twice_writes_once(
    shopify: FakeShopify, writer: ShopifyTrackingWriter
) -> None:
    shopify.add_order(ORDER_ID, [_open_fulfillment_order()])

    writer.write_tracking(_notice())
    writer.write_tracking(_notice())

    assert [r.operation for r in shopify.requests] == [
        "WarpwareFulfillmentState",
        "WarpwareFulfillmentCreate",
        "WarpwareFulfillmentState",
    ]
    assert len(shopify.orders[ORDER_GID]["fulfillments"]) == 1


def test_a_new_number_for_a_fulfilled_order_updates_the_latest_fulfillment(
    shopify: FakeShopify, writer: ShopifyTrackingWriter
) -> None:
    closed = _open_fulfillment_order()
    closed["status"] = "CLOSED"
    for node in closed["lineItems"]["nodes"]:
        node["remainingQuantity"] = 0
    shopify.add_order(
        ORDER_ID,
        [closed],
        fulfillments=[
            {
                "id": "gid://shopify/Fulfillment/1",
                "status": "SUCCESS",
                "createdAt": "2026-01-16T10:00:00Z",
                "trackingInfo": [{"company": "FedEx", "number": "111", "url": None}],
            },
            {
                "id": "gid://shopify/Fulfillment/2",
                "status": "SUCCESS",
                "createdAt": "2026-01-17T10:00:00Z",
                "trackingInfo": [{"company": "FedEx", "number": "222", "url": None}],
            },
            {
                "id": "gid://shopify/Fulfillment/3",
                "status": "CANCELLED",
                "createdAt": "2026-01-18T10:00:00Z",
                "trackingInfo": [{"company": "FedEx", "number": "333", "url": None}],
            },
        ],
    )

    writer.write_tracking(_notice(carrier="dhl_express_worldwide", tracking_number="JD014600006281230704"))

    update = shopify.requests[1]
    assert (update.operation, update.query) == ("WarpwareTrackingUpdate", TRACKING_UPDATE_MUTATION)
    assert update.variables == {
        "fulfillmentId": "gid://shopify/Fulfillment/2",
        "notifyCustomer": True,
        "trackingInfoInput": {"number": "JD014600006281230704", "company": "DHL Express"},
    }
    assert shopify.orders[ORDER_GID]["fulfillments"][1]["trackingInfo"][0]["number"] == "JD014600006281230704"


def test_user_errors_are_permanent_validation_errors(
    shopify: FakeShopify, writer: ShopifyTrackingWriter
) -> None:
    # Given: the merchant puts the order on hold between our read and our write.
    held = _open_fulfillment_order()
    shopify.add_order(ORDER_ID, [held])
    shopify.canned.append(
        Canned(
            200,
            json.dumps(
                {
                    "data": {
                        "order": {"id": ORDER_GID, "fulfillmentOrders": {"nodes": [held]}, "fulfillments": []}
                    }
                }
            ).encode(),
        )
    )
    shopify.orders[ORDER_GID]["fulfillmentOrders"][0]["status"] = "ON_HOLD"

    with pytest.raises(PermanentConnectorError) as caught:
        writer.write_tracking(_notice())

    assert caught.value.category == "validation"
    assert caught.value.message == (
        f"Shopify fulfillmentCreate: Fulfillment order {FO_GID} has an unfulfillable status= on_hold."
    )


def test_an_order_shopify_does_not_know_is_permanent(
    shopify: FakeShopify, writer: ShopifyTrackingWriter
) -> None:
    with pytest.raises(PermanentConnectorError) as caught:
        writer.write_tracking(_notice())

    assert caught.value.category == "validation"
    assert caught.value.message == f"Shopify has no order {ORDER_GID} (deleted, or another shop)"


def test_nothing_open_and_nothing_fulfilled_is_permanent(
    shopify: FakeShopify, writer: ShopifyTrackingWriter
) -> None:
    cancelled = _open_fulfillment_order()
    cancelled["status"] = "CANCELLED"
    shopify.add_order(ORDER_ID, [cancelled])

    with pytest.raises(PermanentConnectorError, match="has nothing left to fulfil") as caught:
        writer.write_tracking(_notice())

    assert caught.value.category == "validation"


def test_a_bad_order_id_never_reaches_shopify(shopify: FakeShopify, writer: ShopifyTrackingWriter) -> None:
    for bad in (None, "", "#1001", "1 OR 1=1"):
        with pytest.raises(PermanentConnectorError, match="not a Shopify order id"):
            writer.write_tracking(_notice(channel_order_id=bad))
    assert shopify.requests == []


def test_a_wrong_token_is_a_permanent_auth_error(shopify_url: str, shopify: FakeShopify) -> None:
    settings = ShopifySettings(shop_domain="warpware-demo.myshopify.com", base_url=shopify_url)
    writer = ShopifyTrackingWriter(settings, ShopifyCredentials(access_token=SecretStr("shpat_revoked")))

    with pytest.raises(PermanentConnectorError) as caught:
        writer.write_tracking(_notice())

    assert (caught.value.category, caught.value.status_code) == ("auth", 401)
    assert "Invalid API key or access token" in caught.value.message


@pytest.mark.parametrize(
    ("canned", "category", "status_code", "retry_after"),
    [
        (
            Canned(
                429,
                b'{"errors":"Exceeded 2 calls per second for api client. Reduce request rates."}',
                {"Retry-After": "2.0"},
            ),
            "rate_limit",
            429,
            2.0,
        ),
        (
            Canned(
                200,
                json.dumps(
                    {
                        "errors": [
                            {
                                "message": "Throttled",
                                "extensions": {
                                    "code": "THROTTLED",
                                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                                },
                            }
                        ],
                        "extensions": {
                            "cost": {
                                "requestedQueryCost": 352,
                                "actualQueryCost": None,
                                "throttleStatus": {
                                    "maximumAvailable": 2000.0,
                                    "currentlyAvailable": 52,
                                    "restoreRate": 100.0,
                                },
                            }
                        },
                    }
                ).encode(),
            ),
            "rate_limit",
            200,
            3.0,
        ),
        (Canned(500, b'{"errors":"Internal Server Error"}'), "server", 500, None),
        (Canned(503, b"<html>Service Unavailable</html>", {"Retry-After": "30"}), "server", 503, 30.0),
        (Canned(200, b"<html>not json"), "server", 200, None),
        (Canned(200, b"[1, 2]"), "server", 200, None),
        (Canned(200, b'{"data": null}'), "server", 200, None),
        (
            Canned(
                200,
                json.dumps(
                    {
                        "errors": [
                            {
                                "message": "Internal error. Looks like something went wrong.",
                                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                            }
                        ]
                    }
                ).encode(),
            ),
            "server",
            200,
            None,
        ),
    ],
)
def test_retryable_answers(
    shopify: FakeShopify,
    writer: ShopifyTrackingWriter,
    canned: Canned,
    category: str,
    status_code: int,
    retry_after: float | None,
) -> None:
    shopify.canned.append(canned)

    with pytest.raises(RetryableConnectorError) as caught:
        writer.write_tracking(_notice())

    assert (caught.value.category, caught.value.status_code, caught.value.retry_after) == (
        category,
        status_code,
        retry_after,
    )


@pytest.mark.parametrize(
    ("canned", "category", "message"),
    [
        (
            Canned(
                403,
                b'{"errors":"[API] This action requires merchant approval for write_fulfillments scope."}',
            ),
            "auth",
            "Shopify refused the access token (403): [API] This action requires merchant approval for "
            "write_fulfillments scope.",
        ),
        (
            Canned(402, b'{"errors":"Unavailable Shop"}'),
            "auth",
            "Shopify shop unavailable (402): Unavailable Shop",
        ),
        (
            Canned(
                200,
                json.dumps(
                    {
                        "errors": [
                            {
                                "message": "Access denied for fulfillmentCreate field.",
                                "extensions": {"code": "ACCESS_DENIED"},
                            }
                        ]
                    }
                ).encode(),
            ),
            "auth",
            "Shopify denied access: Access denied for fulfillmentCreate field.",
        ),
        (
            Canned(200, b'{"errors":[{"message":"Variable $id of type ID! was provided invalid value"}]}'),
            "validation",
            "Shopify GraphQL error: Variable $id of type ID! was provided invalid value",
        ),
        (
            Canned(400, b'{"errors":{"query":"Required parameter missing or invalid"}}'),
            "validation",
            "Shopify rejected the request (400): {'query': 'Required parameter missing or invalid'}",
        ),
    ],
)
def test_permanent_answers(
    shopify: FakeShopify, writer: ShopifyTrackingWriter, canned: Canned, category: str, message: str
) -> None:
    shopify.canned.append(canned)

    with pytest.raises(PermanentConnectorError) as caught:
        writer.write_tracking(_notice())

    assert (caught.value.category, caught.value.message) == (category, message)


def test_a_slow_shopify_is_a_retryable_timeout(shopify: FakeShopify, shopify_url: str) -> None:
    settings = ShopifySettings(
        shop_domain="warpware-demo.myshopify.com", base_url=shopify_url, timeout_seconds=0.2
    )
    writer = ShopifyTrackingWriter(settings, ShopifyCredentials(access_token=SecretStr(TOKEN)))
    shopify.canned.append(Canned(200, b"{}", delay=1.0))

    with pytest.raises(RetryableConnectorError) as caught:
        writer.write_tracking(_notice())

    assert caught.value.category == "network_timeout"


def test_connection_test_queries_the_shop(shopify: FakeShopify, writer: ShopifyTrackingWriter) -> None:
    writer.test()

    assert shopify.requests[0].operation == "WarpwareShop"


def test_settings_pin_the_myshopify_domain() -> None:
    assert (
        ShopifySettings(shop_domain=" Warpware-Demo.myshopify.com/").shop_domain
        == "warpware-demo.myshopify.com"
    )
    assert ShopifySettings(shop_domain="warpware-demo.myshopify.com").graphql_url == (
        "https://warpware-demo.myshopify.com/admin/api/2025-01/graphql.json"
    )
    for bad in (
        "shop.example.com",
        "evil.com/.myshopify.com",
        "a.myshopify.com.evil.com",
        "a@b.myshopify.com",
    ):
        with pytest.raises(ValidationError):
            ShopifySettings(shop_domain=bad)
    with pytest.raises(ValidationError):
        ShopifySettings(shop_domain="a.myshopify.com", api_version="latest")


@pytest.mark.parametrize(
    ("ours", "shopify_name"),
    [
        ("ups", "UPS"),
        ("UPS", "UPS"),
        ("ups_walleted", "UPS"),
        ("usps", "USPS"),
        ("stamps_com", "USPS"),
        ("FedEx", "FedEx"),
        ("fedex", "FedEx"),
        ("dhl_express", "DHL Express"),
        ("DHL", "DHL Express"),
        ("dhl_global_mail", "DHL eCommerce"),
        ("ontrac", "OnTrac"),
        ("canada_post", "Canada Post"),
        ("Canada Post", "Canada Post"),
        ("purolator_ca", "Purolator"),
        ("royal_mail", "Royal Mail"),
        ("australia_post", "Australia Post"),
        ("amazon_shipping_us", "Amazon Logistics US"),
        ("Acme Freight", "Acme Freight"),
        ("  ", None),
        (None, None),
    ],
)
def test_carrier_names_map_to_shopify_exactly(ours: str | None, shopify_name: str | None) -> None:
    assert shopify_carrier_company(ours) == shopify_name
