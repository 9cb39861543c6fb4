from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from fake_woocommerce import CONSUMER_KEY, CONSUMER_SECRET, Canned, FakeWooCommerce
from pydantic import SecretStr, ValidationError

from warpware.connectors.base import PermanentConnectorError, RetryableConnectorError, ShipmentNotice
from warpware.connectors.woocommerce import (
    WooCommerceCredentials,
    WooCommerceSettings,
    WooCommerceTrackingWriter,
    shipped_note,
)

BASIC = "Basic " + base64.b64encode(f"{CONSUMER_KEY}:{CONSUMER_SECRET}".encode()).decode()
CREDENTIALS = WooCommerceCredentials(
    consumer_key=SecretStr(CONSUMER_KEY), consumer_secret=SecretStr(CONSUMER_SECRET)
)
NOTE = "Your order has shipped via UPS, tracking 1Z999AA10123456784 https://www.ups.com/track?tracknum=1Z999AA10123456784"


def _notice(**changes: Any) -> ShipmentNotice:
    fields: dict[str, Any] = {
        "order_id": "ord_1",
        "external_id": "5120",
        "channel_order_id": "5120",
        "carrier": "ups",
        "tracking_number": "1Z999AA10123456784",
        "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
    }
    fields.update(changes)
    return ShipmentNotice(**fields)


@pytest.fixture
def writer(woo_url: str) -> Iterator[WooCommerceTrackingWriter]:
    writer = WooCommerceTrackingWriter(
        WooCommerceSettings(base_url=woo_url + "/", timeout_seconds=2), CREDENTIALS
    )
    yield writer
    writer.close()


def test_shipping_adds_a_customer_note_then_completes_the_order(
    woo: FakeWooCommerce, writer: WooCommerceTrackingWriter
) -> None:
    woo.add_order(5120)

    writer.write_tracking(_notice())

    assert [(r.method, r.path, r.query, r.body) for r in woo.requests] == [
        ("GET", "/wp-json/wc/v3/orders/5120", {}, None),
        ("GET", "/wp-json/wc/v3/orders/5120/notes", {"type": "customer"}, None),
        ("POST", "/wp-json/wc/v3/orders/5120/notes", {}, {"note": NOTE, "customer_note": True}),
        ("PUT", "/wp-json/wc/v3/orders/5120", {}, {"status": "completed"}),
    ]
    assert all(r.headers["authorization"] == BASIC for r in woo.requests)
    assert woo.requests[2].headers["content-type"] == "application/json"
    assert woo.orders[5120]["status"] == "completed"
    assert [n["note"] for n in woo.notes[5120]] == [NOTE]


def test_running_twice_adds_one_note(woo: FakeWooCommerce, writer: WooCommerceTrackingWriter) -> None:
    woo.add_order(5120)

    writer.write_tracking(_notice())
    writer.write_tracking(_notice())

    assert [(r.method, r.path) for r in woo.requests[4:]] == [
        ("GET", "/wp-json/wc/v3/orders/5120"),
        ("GET", "/wp-json/wc/v3/orders/5120/notes"),
    ]
    assert len(woo.notes[5120]) == 1


def test_a_second_parcel_adds_its_own_note(woo: FakeWooCommerce, writer: WooCommerceTrackingWriter) -> None:
    woo.add_order(5120)

    writer.write_tracking(_notice())
    writer.write_tracking(_notice(carrier=None, tracking_number="TRK-2", tracking_url=None))

    assert [n["note"] for n in woo.notes[5120]] == [NOTE, "Your order has shipped, tracking TRK-2"]


def test_query_string_auth_sends_the_keys_as_parameters(woo: FakeWooCommerce, woo_url: str) -> None:
    woo.add_order(5120, status="completed")
    writer = WooCommerceTrackingWriter(
        WooCommerceSettings(base_url=woo_url, query_string_auth=True), CREDENTIALS
    )

    writer.write_tracking(_notice())

    assert woo.requests[1].query == {
        "type": "customer",
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
    }
    assert all("authorization" not in r.headers for r in woo.requests)
    assert [r.method for r in woo.requests] == ["GET", "GET", "POST"]  # already completed: no PUT


def test_a_cancelled_order_is_not_reopened(woo: FakeWooCommerce, writer: WooCommerceTrackingWriter) -> None:
    woo.add_order(5120, status="cancelled")

    with pytest.raises(PermanentConnectorError) as caught:
        writer.write_tracking(_notice())

    assert (caught.value.category, caught.value.message) == (
        "validation",
        "WooCommerce order 5120 is cancelled; not marking it shipped",
    )
    assert len(woo.requests) == 1


def test_an_unknown_order_is_permanent(woo: FakeWooCommerce, writer: WooCommerceTrackingWriter) -> None:
    with pytest.raises(PermanentConnectorError) as caught:
        writer.write_tracking(_notice())

    assert (caught.value.category, caught.value.status_code, caught.value.message) == (
        "validation",
        404,
        "WooCommerce rejected the request (404): Invalid ID. (woocommerce_rest_shop_order_invalid_id)",
    )


def test_wrong_keys_are_a_permanent_auth_error(woo: FakeWooCommerce, woo_url: str) -> None:
    woo.add_order(5120)
    bad = WooCommerceCredentials(
        consumer_key=SecretStr("ck_revoked"), consumer_secret=SecretStr("cs_revoked")
    )
    writer = WooCommerceTrackingWriter(WooCommerceSettings(base_url=woo_url), bad)

    with pytest.raises(PermanentConnectorError) as caught:
        writer.write_tracking(_notice())

    assert (caught.value.category, caught.value.status_code, caught.value.message) == (
        "auth",
        401,
        "WooCommerce refused the API keys (401): Sorry, you cannot list resources. "
        "(woocommerce_rest_cannot_view)",
    )


@pytest.mark.parametrize(
    ("canned", "category", "status_code", "retry_after"),
    [
        (
            Canned(429, b'{"code":"too_many_requests","message":"Slow down"}', {"Retry-After": "12"}),
            "rate_limit",
            429,
            12.0,
        ),
        (
            Canned(500, b'{"code":"internal_server_error","message":"There has been a critical error."}'),
            "server",
            500,
            None,
        ),
        (Canned(502, b"<html>Bad Gateway</html>"), "server", 502, None),
        (
            Canned(200, b'<br />\n<b>Warning</b>: Undefined array key in plugin.php<br />\n{"id":5120}'),
            "server",
            200,
            None,
        ),
        (Canned(200, b'"just a string"'), "server", None, None),
    ],
)
def test_retryable_answers(
    woo: FakeWooCommerce,
    writer: WooCommerceTrackingWriter,
    canned: Canned,
    category: str,
    status_code: int | None,
    retry_after: float | None,
) -> None:
    woo.canned.append(canned)

    with pytest.raises(RetryableConnectorError) as caught:
        writer.write_tracking(_notice())

    assert (caught.value.category, caught.value.status_code, caught.value.retry_after) == (
        category,
        status_code,
        retry_after,
    )


def test_a_slow_store_is_a_retryable_timeout(woo: FakeWooCommerce, woo_url: str) -> None:
    writer = WooCommerceTrackingWriter(
        WooCommerceSettings(base_url=woo_url, timeout_seconds=0.2), CREDENTIALS
    )
    woo.canned.append(Canned(200, b"{}", delay=1.0))

    with pytest.raises(RetryableConnectorError) as caught:
        writer.write_tracking(_notice())

    assert caught.value.category == "network_timeout"


def test_a_status_change_a_plugin_refuses_is_permanent(
    woo: FakeWooCommerce, writer: WooCommerceTrackingWriter
) -> None:
    woo.add_order(5120)
    woo.canned.extend(
        [
            Canned(200, b'{"id":5120,"status":"processing"}'),
            Canned(200, b"[]"),
            Canned(201, b'{"id":701,"note":"x","customer_note":true}'),
            Canned(200, b'{"id":5120,"status":"on-hold"}'),
        ]
    )

    with pytest.raises(PermanentConnectorError, match="did not complete order 5120 \\(status 'on-hold'\\)"):
        writer.write_tracking(_notice())


def test_a_bad_order_id_never_reaches_the_store(
    woo: FakeWooCommerce, writer: WooCommerceTrackingWriter
) -> None:
    for bad in (None, "", "5120/../1", "#5120"):
        with pytest.raises(PermanentConnectorError, match="not a WooCommerce order id"):
            writer.write_tracking(_notice(channel_order_id=bad))
    assert woo.requests == []


def test_connection_test(woo: FakeWooCommerce, writer: WooCommerceTrackingWriter) -> None:
    writer.test()

    assert [(r.method, r.path, r.query) for r in woo.requests] == [
        ("GET", "/wp-json/wc/v3/orders", {"per_page": "1"})
    ]


def test_the_note_text() -> None:
    assert shipped_note(_notice(carrier="fedex", tracking_url=None)) == (
        "Your order has shipped via FedEx, tracking 1Z999AA10123456784"
    )


def test_settings_refuse_plain_http_to_a_remote_store() -> None:
    assert WooCommerceSettings(base_url="https://shop.example.org/").base_url == "https://shop.example.org"
    for bad in (
        "http://shop.example.org",
        "ftp://shop.example.org",
        "https://user:pw@shop.example.org",
        "shop",
    ):
        with pytest.raises(ValidationError):
            WooCommerceSettings(base_url=bad)
