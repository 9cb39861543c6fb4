from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import random
from decimal import Decimal
from typing import Any

import pytest
from fake_woocommerce import WOO_FIXTURES

from warpware.connectors.base import Address, LineItem
from warpware.connectors.woocommerce import (
    ChannelPayloadError,
    is_woocommerce_ping,
    parse_woocommerce_order,
    read_woocommerce_headers,
    verify_woocommerce_signature,
)

SECRET = "wc-webhook-secret-7Hq2"
BODY = (WOO_FIXTURES / "order.json").read_bytes()


def test_order_maps_every_field(woo_order: dict[str, Any]) -> None:
    order = parse_woocommerce_order(woo_order)

    assert order.external_id == "5120"
    assert order.channel_order_id == "5120"
    assert order.source == "woocommerce"
    assert order.line_items == (
        LineItem(
            sku="HOODIE-GRY-L",
            quantity=2,
            price=Decimal("38.25"),
            name="Fleece Hoodie - Grey, L",
            channel_line_id="3301",
        ),
        # 10.00 / 3 is not exact, so Woo's own float price is kept, read through its shortest repr.
        LineItem(
            sku="variation-988",
            quantity=3,
            price=Decimal("3.3333333333333335"),
            name="Sticker Pack - Assorted",
            channel_line_id="3302",
        ),
        LineItem(
            sku="product-742", quantity=1, price=Decimal("12.00"), name="Enamel Pin", channel_line_id="3303"
        ),
    )
    assert order.shipping_address == Address(
        name="Dana Whitfield",
        company="Whitfield Ceramics",
        address1="2100 NW Front Ave",
        address2="Unit 12",
        city="Portland",
        state="OR",
        zip="97209",
        country="US",
        phone="503-555-0117",
        email="dana.whitfield@example.org",
    )
    assert order.customer_email == "dana.whitfield@example.org"
    assert order.customer_name == "Dana Whitfield"
    assert order.note == "Gift - please no invoice in the box."
    assert order.service_level == "Flat rate"
    assert order.order_date == dt.date(2026, 1, 15)
    assert order.tags == ()
    assert order.metadata == {
        "status": "processing",
        "currency": "USD",
        "total": "106.07",
        "order_key": "wc_order_Zq8rT2mB5xPaL",
        "payment_method": "stripe",
    }


def test_prices_parsed_as_decimal_json_stay_exact() -> None:
    order = parse_woocommerce_order(json.loads(BODY, parse_float=Decimal))

    assert [line.price for line in order.line_items] == [
        Decimal("38.25"),
        Decimal("3.3333333333333335"),
        Decimal("12.00"),
    ]


def test_an_empty_shipping_block_falls_back_to_billing(woo_order: dict[str, Any]) -> None:
    woo_order["shipping"] = {key: "" for key in woo_order["shipping"]}

    order = parse_woocommerce_order(woo_order)

    assert order.shipping_address == Address(
        name="Dana Whitfield",
        company=None,
        address1="48 Orchard Lane",
        address2=None,
        city="Portland",
        state="OR",
        zip="97205",
        country="US",
        phone="503-555-0117",
        email="dana.whitfield@example.org",
    )
    assert order.metadata["used_billing_address"] is True


def test_a_custom_order_number_is_the_external_id(woo_order: dict[str, Any]) -> None:
    woo_order["number"] = "WW-2026-0042"

    order = parse_woocommerce_order(woo_order)

    assert (order.external_id, order.channel_order_id) == ("WW-2026-0042", "5120")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o.update(line_items=[]), "order 5120 has no line items"),
        (lambda o: o.update(shipping=None, billing=None), "order 5120 has no shipping or billing address"),
        (lambda o: o["shipping"].update(country=""), "order 5120 shipping address has no country"),
        (
            lambda o: o["line_items"][2].update(product_id=0),
            "order 5120 line 3 has no sku, variation_id or product_id",
        ),
        (
            lambda o: o["line_items"][0].update(quantity=True),
            "order 5120 line 1 quantity must be a whole number",
        ),
        (
            lambda o: o["line_items"][0].update(total="abc", price="abc"),
            "order 5120 line 1 total must be an amount",
        ),
        (lambda o: o.update(id="12a"), "order id must be an integer id, got a string"),
        (lambda o: o.update(billing=[]), "order 5120 billing must be a JSON object, got an array"),
    ],
)
def test_unusable_orders_raise_a_clear_payload_error(
    woo_order: dict[str, Any], change: Any, message: str
) -> None:
    change(woo_order)

    with pytest.raises(ChannelPayloadError) as caught:
        parse_woocommerce_order(woo_order)

    assert str(caught.value).startswith(message)


_ODD: list[object] = [None, True, 0, 3.5, float("inf"), "", "x", [], [None], {}, {"a": 1}]
_KEYS: list[Any] = [
    "id",
    "number",
    "line_items",
    0,
    1,
    2,
    "sku",
    "quantity",
    "price",
    "total",
    "variation_id",
    "product_id",
    "shipping",
    "billing",
    "address_1",
    "country",
    "first_name",
    "shipping_lines",
    "method_title",
    "date_created",
    "customer_note",
    "status",
]


@pytest.mark.parametrize("seed", range(30))
def test_random_corruptions_give_an_order_or_a_payload_error(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        payload = json.loads(BODY)
        target: Any = payload
        path = [rng.choice(_KEYS) for _ in range(rng.randint(1, 3))]
        for key in path[:-1]:
            if (isinstance(target, dict) and key in target) or (
                isinstance(target, list) and isinstance(key, int) and key < len(target)
            ):
                target = target[key]
        last = path[-1]
        if isinstance(target, dict) or (
            isinstance(target, list) and isinstance(last, int) and last < len(target)
        ):
            target[last] = rng.choice(_ODD)
        with contextlib.suppress(ChannelPayloadError):
            parse_woocommerce_order(payload)


@pytest.mark.parametrize("garbage", [None, "[]", [], 1, {"id": None}, {"id": 1, "line_items": {}}])
def test_garbage_raises_only_payload_errors(garbage: object) -> None:
    with pytest.raises(ChannelPayloadError):
        parse_woocommerce_order(garbage)


def _sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_signature_good_bad_and_missing() -> None:
    assert verify_woocommerce_signature(BODY, _sign(SECRET, BODY), SECRET) is True
    assert (
        verify_woocommerce_signature(b'{"id":1}', "A971iWIMgT8Zj9A9eWfikrFj7wQ16/Qwcc4OlRl2PLc=", "secret")
        is True
    )
    assert verify_woocommerce_signature(BODY, _sign("old-secret", BODY), SECRET) is False
    assert verify_woocommerce_signature(BODY + b"\n", _sign(SECRET, BODY), SECRET) is False
    assert verify_woocommerce_signature(BODY, None, SECRET) is False
    assert verify_woocommerce_signature(BODY, "", SECRET) is False
    assert verify_woocommerce_signature(BODY, _sign("", BODY), "") is False


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/x-www-form-urlencoded", b"webhook_id=17", True),
        ("application/x-www-form-urlencoded; charset=UTF-8", b"webhook_id=17\n", True),
        ("application/json", b"webhook_id=17", False),
        ("application/x-www-form-urlencoded", b"webhook_id=17&x=1", False),
        ("application/x-www-form-urlencoded", b"webhook_id=abc", False),
        ("application/x-www-form-urlencoded", b"", False),
        (None, b"webhook_id=17", False),
        ("application/json", BODY, False),
    ],
)
def test_ping_detection(content_type: str | None, body: bytes, expected: bool) -> None:
    assert is_woocommerce_ping(content_type, body) is expected


def test_delivery_headers() -> None:
    headers = read_woocommerce_headers(
        {
            "X-WC-Webhook-Source": "https://shop.example.org/",
            "X-WC-Webhook-Topic": "order.created",
            "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": "created",
            "X-WC-Webhook-ID": "17",
            "X-WC-Webhook-Delivery-ID": "a1b2c3",
            "X-WC-Webhook-Signature": "sig=",
        }
    )

    assert (
        headers.topic,
        headers.resource,
        headers.event,
        headers.source,
        headers.webhook_id,
        headers.delivery_id,
        headers.signature,
    ) == ("order.created", "order", "created", "https://shop.example.org/", "17", "a1b2c3", "sig=")
