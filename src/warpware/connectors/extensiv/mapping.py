"""Pure translation between our DTOs and Extensiv's order JSON; no I/O.

Everything read here comes from a remote system, so readers check types and raise ValueError with the
field's path; the destination turns that into a ConnectorError naming the call.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from warpware.connectors.base import Address, OutboundOrder, TrackingUpdate
from warpware.connectors.extensiv.settings import ExtensivSettings

OurStatus = Literal["processing", "shipped", "delivered", "cancelled", "failed"]

ORDER_REL = "http://api.3plCentral.com/rels/orders/order"

# 3PL Warehouse Manager reports readOnly.status as a number; Integration Manager and some tenants as
# words. Both vocabularies map here, and the words are what we keep as raw_status.
_STATUS_NAMES: dict[int, str] = {0: "open", 1: "closed", 2: "canceled"}
# Once Extensiv holds an order it is `processing` for us, whatever Extensiv calls its waiting state.
_OUR_STATUS: dict[str, OurStatus] = {
    "new": "processing",
    "open": "processing",
    "at_wms": "processing",
    "shipped": "shipped",
    "closed": "shipped",
    "complete": "shipped",
    "completed": "shipped",
    "confirmed": "shipped",
    "canceled": "cancelled",
    "cancelled": "cancelled",
    "error": "failed",
}
_SCAC_CODES = {"UPS": "UPSN", "FEDEX": "FDEG", "USPS": "USPS"}


def order_body(order: OutboundOrder, settings: ExtensivSettings) -> dict[str, Any]:
    """The POST /orders body. referenceNum is our order id: the key submit looks orders up by."""
    routing: dict[str, Any] = {
        "carrier": order.carrier,
        "mode": order.service_level,
        "scacCode": _SCAC_CODES.get((order.carrier or "").replace(" ", "").upper()),
        "account": settings.carrier_account,
    }
    shipping_notes = order.metadata.get("shipping_notes")
    body: dict[str, Any] = {
        "customerIdentifier": {"id": settings.customer_id},
        "facilityIdentifier": {"id": settings.facility_id},
        "referenceNum": order.reference,
        "poNum": order.external_id,
        "notes": order.note,
        "shippingNotes": shipping_notes if isinstance(shipping_notes, str) else None,
        "billingCode": settings.billing_code,
        "routingInfo": _without_none(routing),
        "shipTo": ship_to(order.shipping_address, order.customer_email),
        "soldTo": {"sameAs": 0},
        "orderItems": [
            {"itemIdentifier": {"sku": item.sku}, "qty": item.quantity} for item in order.line_items
        ],
    }
    return _without_none(body)


def ship_to(address: Address, customer_email: str | None) -> dict[str, Any]:
    return _without_none(
        {
            "companyName": address.company,
            "name": address.name,
            "address1": address.address1,
            "address2": address.address2,
            "city": address.city,
            "state": address.state,
            "zip": address.zip,
            "country": address.country,
            "phoneNumber": address.phone,
            "emailAddress": address.email or customer_email,
        }
    )


def map_status(raw: Any, is_closed: Any) -> tuple[str, OurStatus]:
    """(Extensiv's status as a word, our status). An unknown word stays `processing`: the order is at
    Extensiv, and only a status we understand may move it on."""
    if isinstance(raw, bool):
        raise ValueError(f"readOnly.status is a boolean ({raw!r})")
    if isinstance(raw, int):
        name = _STATUS_NAMES.get(raw, f"status_{raw}")
    elif isinstance(raw, str) and raw.strip():
        name = raw.strip().lower().replace(" ", "_")
    elif raw is None and isinstance(is_closed, bool):
        name = "closed" if is_closed else "open"
    else:
        raise ValueError(f"readOnly.status is missing or not a number or word ({raw!r})")
    return name, _OUR_STATUS.get(name, "processing")


def order_id_of(order: dict[str, Any]) -> int:
    read_only = order.get("readOnly")
    order_id = read_only.get("orderId") if isinstance(read_only, dict) else None
    if isinstance(order_id, bool) or not isinstance(order_id, int) or order_id <= 0:
        raise ValueError(f"readOnly.orderId is missing or not a positive integer ({order_id!r})")
    return order_id


def status_of(order: dict[str, Any]) -> tuple[str, OurStatus]:
    read_only = order.get("readOnly")
    if not isinstance(read_only, dict):
        raise ValueError("readOnly is missing or not an object")
    return map_status(read_only.get("status"), read_only.get("isClosed"))


def tracking_update(order: dict[str, Any]) -> TrackingUpdate:
    raw_status, status = status_of(order)
    if status == "failed":
        return TrackingUpdate(
            raw_status=raw_status, status=status, error_message=f"Extensiv reports the order as {raw_status}"
        )
    if status != "shipped":
        return TrackingUpdate(raw_status=raw_status, status=status)
    read_only = order["readOnly"]
    routing = order.get("routingInfo")
    routing = routing if isinstance(routing, dict) else {}
    return TrackingUpdate(
        raw_status=raw_status,
        status=status,
        carrier=_text(routing.get("carrier")),
        tracking_number=_tracking_number(read_only.get("packages"), routing),
        service_level=_text(routing.get("mode")),
        shipped_at=parse_timestamp(read_only.get("shipDate")),
    )


def orders_in_list(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The orders of a hal+json list answer; Extensiv leaves `_embedded` out when nothing matched."""
    total = data.get("totalResults")
    if isinstance(total, bool) or not isinstance(total, int):
        raise ValueError(f"totalResults is missing or not an integer ({total!r})")
    embedded = data.get("_embedded")
    if embedded is None and total == 0:
        return []
    orders = embedded.get(ORDER_REL) if isinstance(embedded, dict) else None
    if not isinstance(orders, list) or not all(isinstance(order, dict) for order in orders):
        raise ValueError(f"_embedded[{ORDER_REL!r}] is missing or not a list of orders")
    return orders


def parse_timestamp(value: Any) -> dt.datetime | None:
    """Extensiv's dates, with or without an offset (none means UTC); unusable or placeholder → None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # .NET's DateTime.MinValue (0001-01-01) stands for "no date" in Extensiv answers.
    if parsed.year < 1970:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _tracking_number(packages: Any, routing: dict[str, Any]) -> str | None:
    for package in packages if isinstance(packages, list) else []:
        number = _text(package.get("trackingNumber")) if isinstance(package, dict) else None
        if number:
            return number
    return _text(routing.get("trackingNumber")) or _text(routing.get("billOfLading"))


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
