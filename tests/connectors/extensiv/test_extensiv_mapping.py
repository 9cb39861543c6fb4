"""Pure translation between our DTOs and Extensiv's JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from warpware.connectors.base import Address, LineItem, OutboundOrder, TrackingUpdate
from warpware.connectors.extensiv import ExtensivSettings
from warpware.connectors.extensiv.mapping import (
    ORDER_REL,
    map_status,
    order_body,
    orders_in_list,
    parse_timestamp,
    tracking_update,
)


def test_a_minimal_order_sends_no_empty_fields() -> None:
    order = OutboundOrder(
        reference="r-1",
        external_id="1001",
        line_items=(LineItem(sku="A", quantity=1),),
        shipping_address=Address(name="Bo", address1="1 Main", city="Austin", state="TX", zip="78701"),
    )
    settings = ExtensivSettings(
        base_url="https://wms.example/",
        customer_id=5,
        facility_id=6,
        billing_code="ThirdParty",
        carrier_account="ACCT-9",
    )

    assert order_body(order, settings) == {
        "customerIdentifier": {"id": 5},
        "facilityIdentifier": {"id": 6},
        "referenceNum": "r-1",
        "poNum": "1001",
        "billingCode": "ThirdParty",
        "routingInfo": {"account": "ACCT-9"},
        "shipTo": {
            "name": "Bo",
            "address1": "1 Main",
            "city": "Austin",
            "state": "TX",
            "zip": "78701",
            "country": "US",
        },
        "soldTo": {"sameAs": 0},
        "orderItems": [{"itemIdentifier": {"sku": "A"}, "qty": 1}],
    }
    assert settings.base_url == "https://wms.example"


@pytest.mark.parametrize(
    ("raw", "is_closed", "expected"),
    [
        (0, False, ("open", "processing")),
        (1, True, ("closed", "shipped")),
        (2, True, ("canceled", "cancelled")),
        (7, False, ("status_7", "processing")),
        (" At WMS ", None, ("at_wms", "processing")),
        ("Cancelled", None, ("cancelled", "cancelled")),
        ("Complete", None, ("complete", "shipped")),
        (None, True, ("closed", "shipped")),
        (None, False, ("open", "processing")),
    ],
)
def test_map_status(raw: Any, is_closed: Any, expected: tuple[str, str]) -> None:
    assert map_status(raw, is_closed) == expected


@pytest.mark.parametrize("raw", [True, None, "", 1.5, {"name": "open"}])
def test_map_status_refuses_what_is_not_a_status(raw: Any) -> None:
    with pytest.raises(ValueError):
        map_status(raw, None)


def test_tracking_falls_back_from_packages_to_routing_to_bill_of_lading() -> None:
    order = {
        "readOnly": {
            "status": 1,
            "isClosed": True,
            "shipDate": "2026-03-02T10:15:00",
            "packages": [{"trackingNumber": " "}, {"trackingNumber": None}],
        },
        "routingInfo": {"carrier": "Estes", "mode": "LTL", "trackingNumber": "", "billOfLading": "BOL-77"},
    }

    assert tracking_update(order) == TrackingUpdate(
        raw_status="closed",
        status="shipped",
        carrier="Estes",
        tracking_number="BOL-77",
        service_level="LTL",
        shipped_at=dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-02T10:15:00Z", dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.UTC)),
        ("2026-03-02T05:15:00-05:00", dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.UTC)),
        ("0001-01-01T00:00:00", None),
        ("yesterday", None),
        (20260302, None),
    ],
)
def test_parse_timestamp(value: Any, expected: dt.datetime | None) -> None:
    assert parse_timestamp(value) == expected


def test_an_empty_list_may_leave_out_embedded() -> None:
    assert orders_in_list({"totalResults": 0}) == []
    assert orders_in_list({"totalResults": 1, "_embedded": {ORDER_REL: [{"referenceNum": "x"}]}}) == [
        {"referenceNum": "x"}
    ]
    with pytest.raises(ValueError):
        orders_in_list({"totalResults": 1, "_embedded": {ORDER_REL: "nope"}})
