"""A Shopify order end to end: signed webhook in, sandbox warehouse, tracking, GraphQL writeback out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pipeline.conftest import Clock, Pipeline

sys.path.insert(0, str(Path(__file__).parents[1] / "connectors" / "shopify"))
from fake_shopify import TOKEN, FakeShopify, load_fixture, serve  # noqa: E402

SECRET = "shpss_webhook_secret"
OLD_SECRET = "shpss_previous_secret"


@pytest.fixture(scope="module")
def shopify_server() -> Iterator[tuple[FakeShopify, str]]:
    fake = FakeShopify()
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture
def shop(pipeline: Pipeline, shopify_server: tuple[FakeShopify, str]) -> tuple[FakeShopify, str]:
    fake, url = shopify_server
    fake.reset()
    response = pipeline.tenant.post(
        "/partner/v1/connections",
        json={
            "name": "My Shop",
            "type": "shopify",
            "settings": {"shop_domain": "acme-test.myshopify.com", "base_url": url},
            "credentials": {
                "access_token": TOKEN,
                "webhook_secret": SECRET,
                "previous_webhook_secret": OLD_SECRET,
            },
        },
    )
    assert response.status_code == 201, response.text
    return fake, response.json()["data"]["id"]


def _send(
    pipeline: Pipeline,
    connection_id: str,
    payload: dict[str, Any],
    *,
    topic: str = "orders/create",
    webhook_id: str = "wh-1",
    secret: str = SECRET,
) -> Any:
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return pipeline.tenant.client.post(
        f"/channels/shopify/{connection_id}/webhooks",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Shop-Domain": "acme-test.myshopify.com",
        },
    )


def _open_fulfillment_order(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "gid://shopify/FulfillmentOrder/61",
        "status": "OPEN",
        "lineItems": {
            "nodes": [
                {
                    "id": f"gid://shopify/FulfillmentOrderLineItem/{i}",
                    "remainingQuantity": line["quantity"],
                    "lineItem": {"id": f"gid://shopify/LineItem/{line['id']}", "sku": line["sku"]},
                }
                for i, line in enumerate(payload["line_items"])
            ]
        },
    }


def test_shopify_order_to_writeback(pipeline: Pipeline, shop: tuple[FakeShopify, str], clock: Clock) -> None:
    fake, connection_id = shop
    payload = load_fixture("order_null_sku.json")
    fake.add_order(payload["id"], [_open_fulfillment_order(payload)])
    response = _send(pipeline, connection_id, payload)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["outcome"] == "created"
    order_id = response.json()["data"]["order_id"]

    # The same delivery again, and the same order under a new delivery id: both refused, nothing stored twice.
    assert _send(pipeline, connection_id, payload).json()["data"]["outcome"] == "duplicate_delivery"
    assert _send(pipeline, connection_id, payload, webhook_id="wh-2").json()["data"]["outcome"] == "duplicate"

    order = pipeline.get(order_id)
    assert order["source"] == "shopify" and order["external_id"] == "#1001"
    assert order["channel_order_id"] == str(payload["id"])
    assert [li["sku"] for li in order["line_items"]] == [
        "TEE-RED-M",
        f"variant-{payload['line_items'][1]['variant_id']}",
    ]

    pipeline.run_jobs()
    assert pipeline.get(order_id)["route_destination_type"] == "sandbox"  # the channel is not a destination
    clock.advance(61)
    pipeline.run_jobs()
    order = pipeline.get(order_id)
    assert order["status"] == "shipped"
    types = pipeline.types(order_id)
    assert types[-1] == "writeback_success"
    mutations = [r for r in fake.requests if r.operation and "fulfillmentCreate" in r.query]
    assert len(mutations) == 1
    tracking = mutations[0].variables["fulfillment"]["trackingInfo"]
    assert tracking["number"] == order["tracking_number"] and tracking["company"] == "UPS"
    assert all(r.headers.get("x-shopify-access-token") == TOKEN for r in fake.requests)


def test_bad_signature_is_401_and_previous_secret_accepted(
    pipeline: Pipeline, shop: tuple[FakeShopify, str]
) -> None:
    _fake, connection_id = shop
    payload = load_fixture("order_null_sku.json")
    bad = _send(pipeline, connection_id, payload, secret="wrong")
    assert bad.status_code == 401
    assert bad.json() == {"detail": "X-Shopify-Hmac-Sha256 does not match this connection's webhook secret"}
    assert pipeline.tenant.get("/partner/v1/orders").json()["data"] == []
    rotated = _send(pipeline, connection_id, payload, secret=OLD_SECRET)
    assert rotated.json()["data"]["outcome"] == "created"


def test_cancellation_in_shopify_cancels_unshipped_order(
    pipeline: Pipeline, shop: tuple[FakeShopify, str]
) -> None:
    _fake, connection_id = shop
    payload = load_fixture("order_null_sku.json")
    order_id = _send(pipeline, connection_id, payload).json()["data"]["order_id"]
    cancelled = load_fixture("order_cancelled.json") | {"id": payload["id"]}
    response = _send(pipeline, connection_id, cancelled, topic="orders/cancelled", webhook_id="wh-c")
    assert response.json()["data"]["outcome"] == "cancelled"
    assert pipeline.get(order_id)["status"] == "cancelled"


def test_malformed_payload_is_422_and_stores_nothing(
    pipeline: Pipeline, shop: tuple[FakeShopify, str]
) -> None:
    _fake, connection_id = shop
    response = _send(pipeline, connection_id, {"id": 1, "line_items": []})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Shopify order could not be read")
    assert pipeline.tenant.get("/partner/v1/orders").json()["data"] == []


WOO_SECRET = "woo-webhook-secret"


def _woo(pipeline: Pipeline) -> str:
    response = pipeline.tenant.post(
        "/partner/v1/connections",
        json={
            "name": "Woo store",
            "type": "woocommerce",
            "settings": {"base_url": "http://127.0.0.1:9"},
            "credentials": {"consumer_key": "ck_x", "consumer_secret": "cs_x", "webhook_secret": WOO_SECRET},
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def _woo_send(
    pipeline: Pipeline, connection_id: str, body: bytes, *, secret: str = WOO_SECRET, delivery: str = "d-1"
) -> Any:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return pipeline.tenant.client.post(
        f"/channels/woocommerce/{connection_id}/webhooks",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-WC-Webhook-Signature": signature,
            "X-WC-Webhook-Topic": "order.created",
            "X-WC-Webhook-Delivery-ID": delivery,
            "X-WC-Webhook-Source": "https://shop.example.com/",
        },
    )


def test_woocommerce_ping_signature_dedup_and_order(pipeline: Pipeline) -> None:
    connection_id = _woo(pipeline)
    ping = pipeline.tenant.client.post(
        f"/channels/woocommerce/{connection_id}/webhooks",
        content=b"webhook_id=17",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (ping.status_code, ping.json()["data"]["outcome"]) == (200, "ping")
    body = (Path(__file__).parents[1] / "fixtures" / "woocommerce" / "order.json").read_bytes()
    bad = _woo_send(pipeline, connection_id, body, secret="wrong")
    assert bad.status_code == 401
    created = _woo_send(pipeline, connection_id, body)
    assert created.json()["data"]["outcome"] == "created", created.text
    assert _woo_send(pipeline, connection_id, body).json()["data"]["outcome"] == "duplicate_delivery"
    assert _woo_send(pipeline, connection_id, body, delivery="d-2").json()["data"]["outcome"] == "duplicate"
    order = pipeline.get(created.json()["data"]["order_id"])
    payload = json.loads(body)
    assert (order["source"], order["channel_order_id"]) == ("woocommerce", str(payload["id"]))
