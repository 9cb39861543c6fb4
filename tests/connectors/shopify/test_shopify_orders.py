from __future__ import annotations

import copy
import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

import pytest
from fake_shopify import load_fixture

from warpware.connectors.base import Address, LineItem
from warpware.connectors.shopify import (
    ChannelPayloadError,
    parse_shopify_order,
    parse_shopify_order_event,
)


def test_orders_create_maps_every_field(order_payload: dict[str, Any]) -> None:
    order = parse_shopify_order(order_payload)

    assert order.external_id == "#1001"
    assert order.channel_order_id == "9007199254740993421"
    assert order.source == "shopify"
    assert order.line_items == (
        LineItem(
            sku="TEE-RED-M",
            quantity=2,
            price=Decimal("24.99"),
            name="Classic Tee",
            channel_line_id="14220561100011",
        ),
        LineItem(
            sku="variant-45001200330022",
            quantity=1,
            price=Decimal("34.99"),
            name="Stoneware Mug",
            channel_line_id="14220561100012",
        ),
    )
    assert order.shipping_address == Address(
        name="Maria Lopez",
        company="Lopez Design Studio",
        address1="1200 Market St",
        address2="Suite 400",
        city="San Francisco",
        state="CA",
        zip="94102",
        country="US",
        phone="+1 415-555-0199",
    )
    assert order.customer_email == "maria.lopez@example.com"
    assert order.customer_name == "Maria Lopez"
    assert order.note == "Leave at the side door, please."
    assert order.tags == ("wholesale", "VIP", "rush")
    assert order.service_level == "Standard Shipping"
    assert order.order_date == dt.date(2026, 1, 15)
    assert order.metadata == {
        "financial_status": "paid",
        "order_number": "1001",
        "admin_graphql_api_id": "gid://shopify/Order/9007199254740993421",
        "currency": "USD",
        "total_price": "97.42",
    }


def test_a_64_bit_id_survives_exactly_from_raw_json() -> None:
    raw = json.dumps(load_fixture("order_null_sku.json")).encode()

    order = parse_shopify_order(json.loads(raw))

    assert order.channel_order_id == "9007199254740993421"
    assert float(order.channel_order_id) != 9007199254740993421  # a float would have lost the digits


def test_an_id_that_went_through_a_float_is_refused(order_payload: dict[str, Any]) -> None:
    order_payload["id"] = 9007199254740993421.0

    with pytest.raises(ChannelPayloadError, match="order id must be an integer id, got a number"):
        parse_shopify_order(order_payload)


def test_names_come_from_first_and_last_when_name_is_absent(order_payload: dict[str, Any]) -> None:
    del order_payload["shipping_address"]["name"]
    order_payload["shipping_address"]["company"] = None
    order_payload["customer"] = None
    order_payload["email"] = None

    order = parse_shopify_order(order_payload)

    assert order.shipping_address.name == "Maria Lopez"
    assert order.shipping_address.company is None
    assert order.customer_name == "Maria Lopez"  # from the billing address
    assert order.customer_email == "maria.lopez@example.com"  # contact_email


def test_lines_that_need_no_shipping_are_left_out(order_payload: dict[str, Any]) -> None:
    gift_card = copy.deepcopy(order_payload["line_items"][0])
    gift_card.update(id=14220561100013, sku="GIFT-50", requires_shipping=False, gift_card=True)
    order_payload["line_items"].append(gift_card)

    order = parse_shopify_order(order_payload)

    assert [line.sku for line in order.line_items] == ["TEE-RED-M", "variant-45001200330022"]
    assert order.metadata["non_shipping_line_ids"] == ["14220561100013"]


def test_blank_sku_falls_back_to_the_variant_and_no_variant_is_an_error(
    order_payload: dict[str, Any],
) -> None:
    order_payload["line_items"][0]["sku"] = "   "
    assert parse_shopify_order(order_payload).line_items[0].sku == "variant-45001200330011"

    order_payload["line_items"][0]["variant_id"] = None
    with pytest.raises(ChannelPayloadError, match="order #1001 line 1 has neither a sku nor a variant_id"):
        parse_shopify_order(order_payload)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o.pop("shipping_address"), "order #1001 has no shipping address"),
        (lambda o: o.update(shipping_address=None), "order #1001 has no shipping address"),
        (lambda o: o.update(line_items=[]), "order #1001 has no line items"),
        (lambda o: o.pop("line_items"), "order #1001 has no line items"),
        (lambda o: o.update(line_items="nope"), "order #1001 line_items must be a JSON array, got a string"),
        (
            lambda o: o["line_items"][0].update(quantity="two"),
            "order #1001 line 1 quantity must be a whole number",
        ),
        (lambda o: o["line_items"][1].update(price="12,50"), "order #1001 line 2 price must be an amount"),
        (
            lambda o: o["shipping_address"].update(address1=None),
            "order #1001 shipping address address1 is missing",
        ),
        (
            lambda o: o["shipping_address"].update(country_code=None, country=None),
            "order #1001 shipping address has no country",
        ),
        (
            lambda o: o.update(name=None, order_number=None),
            "order 9007199254740993421 has no name or order_number",
        ),
        (lambda o: o.pop("id"), "order id must be an integer id, got null"),
    ],
)
def test_unusable_orders_raise_a_clear_payload_error(
    order_payload: dict[str, Any], change: Any, message: str
) -> None:
    change(order_payload)

    with pytest.raises(ChannelPayloadError) as caught:
        parse_shopify_order(order_payload)

    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        [],
        "order",
        42,
        {"id": {"nested": True}},
        {"id": 1, "name": []},
        {"id": 1, "name": "#1", "line_items": [None]},
        {"id": True},
    ],
)
def test_garbage_raises_only_payload_errors(garbage: object) -> None:
    with pytest.raises(ChannelPayloadError):
        parse_shopify_order(garbage)


_ODD_VALUES: list[object] = [
    None,
    True,
    0,
    -1,
    2**70,
    1.5,
    float("nan"),
    "",
    " ",
    "x",
    "12,50",
    [],
    [None],
    {},
    {"id": None},
    "2026-13-45",
]
_KEYS: list[Any] = [
    "id",
    "name",
    "order_number",
    "line_items",
    0,
    1,
    "sku",
    "quantity",
    "price",
    "variant_id",
    "shipping_address",
    "address1",
    "country_code",
    "name",
    "tags",
    "shipping_lines",
    "customer",
    "created_at",
    "cancelled_at",
    "requires_shipping",
    "email",
    "total_price",
]


@pytest.mark.parametrize("seed", range(40))
def test_random_corruptions_give_an_order_or_a_payload_error(seed: int) -> None:
    # A seeded fuzz: deterministic, and no hypothesis database written into the repository.
    rng = random.Random(seed)
    for _ in range(25):
        payload = load_fixture("order_null_sku.json")
        _corrupt(payload, [rng.choice(_KEYS) for _ in range(rng.randint(1, 3))], rng.choice(_ODD_VALUES))
        try:
            parse_shopify_order(payload)
            parse_shopify_order_event("orders/updated", payload)
            parse_shopify_order_event("orders/cancelled", payload)
        except ChannelPayloadError:
            pass


def _corrupt(payload: dict[str, Any], path: list[Any], value: object) -> None:
    target: Any = payload
    for key in path[:-1]:
        if (
            isinstance(target, dict)
            and key in target
            or isinstance(target, list)
            and isinstance(key, int)
            and key < len(target)
        ):
            target = target[key]
    last = path[-1]
    if isinstance(target, dict) or isinstance(target, list) and isinstance(last, int) and last < len(target):
        target[last] = value


def test_orders_create_event_carries_the_order(order_payload: dict[str, Any]) -> None:
    event = parse_shopify_order_event("orders/create", order_payload)

    assert event.topic == "orders/create"
    assert event.channel_order_id == "9007199254740993421"
    assert event.external_id == "#1001"
    assert event.order == parse_shopify_order(order_payload)
    assert event.is_cancellation is False


def test_orders_cancelled_event_needs_only_ids() -> None:
    payload = load_fixture("order_cancelled.json")
    payload["shipping_address"] = None  # a digital order can be cancelled too

    event = parse_shopify_order_event("orders/cancelled", payload)

    assert event.topic == "orders/cancelled"
    assert event.order is None
    assert event.channel_order_id == "9007199254740993421"
    assert event.external_id == "#1001"
    assert event.cancelled_at == dt.datetime(
        2026, 1, 16, 9, 5, 44, tzinfo=dt.timezone(dt.timedelta(hours=-5))
    )
    assert event.cancel_reason == "customer"
    assert event.is_cancellation is True


def test_an_update_that_cancels_is_a_cancellation() -> None:
    event = parse_shopify_order_event("orders/updated", load_fixture("order_cancelled.json"))

    assert event.topic == "orders/updated"
    assert event.is_cancellation is True
    assert event.order is not None
    assert event.order.metadata["cancel_reason"] == "customer"
    assert event.order.metadata["cancelled_at"] == "2026-01-16T09:05:44-05:00"


def test_unknown_topics_are_refused(order_payload: dict[str, Any]) -> None:
    with pytest.raises(ChannelPayloadError, match="unsupported Shopify topic 'products/update'"):
        parse_shopify_order_event("products/update", order_payload)
