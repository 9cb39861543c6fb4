from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fake_shipstation import API_KEY, API_SECRET, Canned, FakeShipStation
from pydantic import SecretStr

from warpware.connectors.base import (
    Address,
    LineItem,
    OutboundOrder,
    PermanentConnectorError,
    RetryableConnectorError,
    SubmitResult,
    TrackingUpdate,
)
from warpware.connectors.shipstation import (
    ShipStationCredentials,
    ShipStationDestination,
    ShipStationSettings,
    SlidingWindowLimiter,
)

BASIC = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
CREDENTIALS = ShipStationCredentials(api_key=SecretStr(API_KEY), api_secret=SecretStr(API_SECRET))
REFERENCE = "0b8f3c1e-6d2a-4f7e-9c55-1a2b3c4d5e6f"


def _order(**changes: Any) -> OutboundOrder:
    fields: dict[str, Any] = {
        "reference": REFERENCE,
        "external_id": "#1001",
        "line_items": (
            LineItem(
                sku="TEE-RED-M",
                quantity=2,
                price=Decimal("24.99"),
                name="Classic Tee",
                channel_line_id="14220561100011",
            ),
            LineItem(sku="variant-45001200330022", quantity=1, price=None),
        ),
        "shipping_address": Address(
            name="Maria Lopez",
            company="Lopez Design Studio",
            address1="1200 Market St",
            address2="Suite 400",
            city="San Francisco",
            state="CA",
            zip="94102",
            country="US",
            phone="+1 415-555-0199",
        ),
        "customer_email": "maria.lopez@example.com",
        "customer_name": "Maria A. Lopez",
        "note": "Leave at the side door, please.",
        "service_level": "Standard Shipping",
        "metadata": {"order_date": "2026-01-15T15:30:12+00:00"},
    }
    fields.update(changes)
    return OutboundOrder(**fields)


def _destination(url: str, **settings: Any) -> ShipStationDestination:
    # A private, generous limiter: the per-account 40/min one would throttle the test run itself.
    settings.setdefault("timeout_seconds", 2)
    return ShipStationDestination(
        ShipStationSettings(base_url=url, **settings), CREDENTIALS, limiter=SlidingWindowLimiter(10_000)
    )


@pytest.fixture
def destination(shipstation_url: str) -> Iterator[ShipStationDestination]:
    destination = _destination(shipstation_url, store_id=22766, warehouse_id=4471)
    yield destination
    destination.close()


EXPECTED_SHIP_TO = {
    "name": "Maria Lopez",
    "company": "Lopez Design Studio",
    "street1": "1200 Market St",
    "street2": "Suite 400",
    "street3": None,
    "city": "San Francisco",
    "state": "CA",
    "postalCode": "94102",
    "country": "US",
    "phone": "+1 415-555-0199",
    "residential": None,
}


def test_submit_sends_the_whole_order_keyed_on_our_reference(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    result = destination.submit(_order())

    assert result == SubmitResult(
        destination_order_id="94113001", raw_status="awaiting_shipment", response_status=200
    )
    [request] = shipstation.requests
    assert (request.method, request.path, request.query) == ("POST", "/orders/createorder", {})
    assert request.headers["authorization"] == BASIC
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "orderNumber": "#1001",
        "orderKey": REFERENCE,
        "orderDate": "2026-01-15T07:30:12.0000000",  # Pacific time, as ShipStation v1 reads it
        "orderStatus": "awaiting_shipment",
        "customerEmail": "maria.lopez@example.com",
        "billTo": {**EXPECTED_SHIP_TO, "name": "Maria A. Lopez"},
        "shipTo": EXPECTED_SHIP_TO,
        "items": [
            {
                "lineItemKey": "14220561100011",
                "sku": "TEE-RED-M",
                "name": "Classic Tee",
                "quantity": 2,
                "unitPrice": 24.99,
            },
            {
                "lineItemKey": "2",
                "sku": "variant-45001200330022",
                "name": "variant-45001200330022",
                "quantity": 1,
                "unitPrice": None,
            },
        ],
        "customerNotes": "Leave at the side door, please.",
        "requestedShippingService": "Standard Shipping",
        "advancedOptions": {"warehouseId": 4471, "storeId": 22766, "customField1": REFERENCE},
    }


def test_a_resend_updates_the_same_order(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    first = destination.submit(_order())
    second = destination.submit(_order(note="Changed: ring the bell."))

    assert first.destination_order_id == second.destination_order_id == "94113001"
    assert list(shipstation.orders) == [REFERENCE]
    assert shipstation.orders[REFERENCE]["customerNotes"] == "Changed: ring the bell."


def test_without_an_order_date_the_clock_is_used(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    from warpware.kit.clock import set_clock

    set_clock(lambda: dt.datetime(2026, 7, 4, 19, 0, tzinfo=dt.UTC))
    try:
        destination.submit(_order(metadata={}))
    finally:
        set_clock(None)

    assert shipstation.requests[0].body["orderDate"] == "2026-07-04T12:00:00.0000000"  # PDT, UTC-7


def test_a_rejected_order_is_a_permanent_validation_error(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    with pytest.raises(PermanentConnectorError) as caught:
        destination.submit(_order(external_id=""))

    assert (caught.value.category, caught.value.status_code, caught.value.message) == (
        "validation",
        400,
        "ShipStation rejected the request (400): The request is invalid. "
        "apiOrder.orderNumber: The orderNumber field is required.",
    )


def test_wrong_credentials_are_a_permanent_auth_error(
    shipstation: FakeShipStation, shipstation_url: str
) -> None:
    bad = ShipStationCredentials(api_key=SecretStr("old"), api_secret=SecretStr("old"))
    destination = ShipStationDestination(
        ShipStationSettings(base_url=shipstation_url), bad, limiter=SlidingWindowLimiter(100)
    )

    with pytest.raises(PermanentConnectorError) as caught:
        destination.test()

    assert (caught.value.category, caught.value.status_code, caught.value.message) == (
        "auth",
        401,
        "ShipStation refused the API key (401): 401 Unauthorized",
    )


@pytest.mark.parametrize(
    ("canned", "category", "status_code", "retry_after"),
    [
        (
            Canned(
                429,
                b'{"Message":"Too Many Requests"}',
                {"X-Rate-Limit-Limit": "40", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "17"},
            ),
            "rate_limit",
            429,
            17.0,
        ),
        (Canned(429, b"", {"Retry-After": "5"}), "rate_limit", 429, 5.0),
        (
            Canned(500, b'{"Message":"An error has occurred.","ExceptionMessage":"Timeout expired."}'),
            "server",
            500,
            None,
        ),
        (Canned(502, b"<html>Bad Gateway</html>"), "server", 502, None),
        (Canned(200, b"{not json"), "server", 200, None),
        (Canned(200, b'{"orderId": "94113001"}'), "server", None, None),
        (Canned(200, b'{"orderId": 94113001, "orderKey": "someone-else"}'), "server", None, None),
    ],
)
def test_retryable_answers_to_submit(
    shipstation: FakeShipStation,
    destination: ShipStationDestination,
    canned: Canned,
    category: str,
    status_code: int | None,
    retry_after: float | None,
) -> None:
    shipstation.canned.append(canned)

    with pytest.raises(RetryableConnectorError) as caught:
        destination.submit(_order())

    assert (caught.value.category, caught.value.status_code, caught.value.retry_after) == (
        category,
        status_code,
        retry_after,
    )


def test_a_slow_shipstation_is_a_retryable_timeout(
    shipstation: FakeShipStation, shipstation_url: str
) -> None:
    destination = _destination(shipstation_url, timeout_seconds=0.2)
    shipstation.canned.append(Canned(200, b"{}", delay=1.0))

    with pytest.raises(RetryableConnectorError) as caught:
        destination.submit(_order())

    assert caught.value.category == "network_timeout"


def test_poll_before_any_label_is_processing(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    order_id = destination.submit(_order()).destination_order_id

    update = destination.poll_tracking(REFERENCE, order_id)

    assert update == TrackingUpdate(raw_status="awaiting_shipment", status="processing")
    poll = shipstation.requests[1]
    assert (poll.method, poll.path, poll.query) == (
        "GET",
        "/shipments",
        {
            "orderId": "94113001",
            "includeShipmentItems": "false",
            "sortBy": "CreateDate",
            "sortDir": "DESC",
            "pageSize": "100",
        },
    )


def test_poll_reads_the_latest_live_shipment(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    destination.submit(_order())
    order = shipstation.orders[REFERENCE]
    shipstation.add_shipment(
        order, trackingNumber="VOIDED-1", voided=True, createDate="2026-01-17T09:00:00.0000000"
    )
    shipstation.add_shipment(
        order,
        trackingNumber="1Z999AA10123456784",
        carrierCode="ups",
        serviceCode="ups_ground",
        shipDate="2026-01-17",
        createDate="2026-01-17T08:00:00.0000000",
    )
    shipstation.add_shipment(
        order, trackingNumber="OTHER-KEY", orderKey="another-order", createDate="2026-01-17T10:00:00.0000000"
    )

    update = destination.poll_tracking(REFERENCE, "94113001")

    assert update == TrackingUpdate(
        raw_status="shipped",
        status="shipped",
        carrier="ups",
        tracking_number="1Z999AA10123456784",
        service_level="ups_ground",
        shipped_at=dt.datetime(2026, 1, 17, tzinfo=dt.UTC),
    )


def test_poll_without_shipstation_id_has_nothing_to_say(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    assert destination.poll_tracking(REFERENCE, None) is None
    assert shipstation.requests == []


def test_cancel_resends_the_order_as_cancelled(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    destination.submit(_order())
    submitted = shipstation.requests[0].body

    destination.cancel(REFERENCE, "94113001")

    read, write = shipstation.requests[1:]
    assert (read.method, read.path) == ("GET", "/orders/94113001")
    assert (write.method, write.path) == ("POST", "/orders/createorder")
    assert write.body == {**submitted, "orderStatus": "cancelled"}
    assert shipstation.orders[REFERENCE]["orderStatus"] == "cancelled"


def test_cancelling_twice_or_an_unknown_order_is_not_an_error(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    destination.submit(_order())
    destination.cancel(REFERENCE, "94113001")
    destination.cancel(REFERENCE, "94113001")
    destination.cancel(REFERENCE, "555")
    destination.cancel(REFERENCE, None)

    assert [(r.method, r.path) for r in shipstation.requests] == [
        ("POST", "/orders/createorder"),
        ("GET", "/orders/94113001"),
        ("POST", "/orders/createorder"),
        ("GET", "/orders/94113001"),
        ("GET", "/orders/555"),
    ]


def test_a_shipped_order_cannot_be_cancelled(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    destination.submit(_order())
    shipstation.orders[REFERENCE]["orderStatus"] = "shipped"

    with pytest.raises(PermanentConnectorError) as caught:
        destination.cancel(REFERENCE, "94113001")

    assert (caught.value.category, caught.value.message) == (
        "validation",
        "ShipStation order 94113001 has already shipped",
    )


def test_cancel_refuses_an_order_that_is_not_ours(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    destination.submit(_order())

    with pytest.raises(PermanentConnectorError, match="belongs to orderKey '0b8f3c1e"):
        destination.cancel("some-other-reference", "94113001")
    assert shipstation.orders[REFERENCE]["orderStatus"] == "awaiting_shipment"


def test_connection_test_lists_stores(
    shipstation: FakeShipStation, destination: ShipStationDestination
) -> None:
    destination.test()

    assert [(r.method, r.path, r.query, r.headers["authorization"]) for r in shipstation.requests] == [
        ("GET", "/stores", {"showInactive": "false"}, BASIC)
    ]
