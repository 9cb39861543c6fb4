"""The JSON the sandbox answers with, in Extensiv 3PL Warehouse Manager's shapes (hal+json)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from warpware.sandbox.state import STATUS_CANCELED, STATUS_CLOSED, STATUS_OPEN, StoredOrder

ORDER_REL = "http://api.3plCentral.com/rels/orders/order"
_STATUS_NAMES = {STATUS_OPEN: "open", STATUS_CLOSED: "closed", STATUS_CANCELED: "canceled"}
_SHIP_TO_FIELDS = (
    "companyName",
    "name",
    "address1",
    "address2",
    "city",
    "state",
    "zip",
    "country",
    "phoneNumber",
    "emailAddress",
)


def timestamp(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def order_resource(order: StoredOrder) -> dict[str, Any]:
    body = order.received
    routing_in = body.get("routingInfo")
    routing_in = routing_in if isinstance(routing_in, dict) else {}
    ship_to_in = body.get("shipTo")
    ship_to_in = ship_to_in if isinstance(ship_to_in, dict) else {}
    routing = {
        "carrier": order.carrier or routing_in.get("carrier"),
        "mode": order.mode or routing_in.get("mode"),
        "scacCode": routing_in.get("scacCode"),
        "account": routing_in.get("account"),
        "trackingNumber": order.tracking_number,
        "billOfLading": None,
    }
    items = []
    for index, item in enumerate(body.get("orderItems") or [], start=1):
        if isinstance(item, dict):
            items.append(
                {
                    "readOnly": {"orderItemId": order.order_id * 100 + index},
                    "itemIdentifier": item.get("itemIdentifier"),
                    "qty": item.get("qty"),
                }
            )
    packages = []
    if order.tracking_number is not None:
        packages.append(
            {
                "packageId": order.order_id * 10 + 1,
                "trackingNumber": order.tracking_number,
                "packageContents": [],
            }
        )
    return {
        "customerIdentifier": body.get("customerIdentifier"),
        "facilityIdentifier": body.get("facilityIdentifier"),
        "referenceNum": order.reference_num,
        "poNum": body.get("poNum"),
        "notes": body.get("notes"),
        "shippingNotes": body.get("shippingNotes"),
        "billingCode": body.get("billingCode"),
        "routingInfo": routing,
        "shipTo": {name: ship_to_in.get(name) for name in _SHIP_TO_FIELDS},
        "orderItems": items,
        "readOnly": {
            "orderId": order.order_id,
            "status": order.status,
            "isClosed": order.is_closed,
            "creationDate": timestamp(order.created_at),
            "lastModifiedDate": timestamp(order.last_modified),
            "processDate": timestamp(order.ship_date),
            "shipDate": timestamp(order.ship_date),
            "packages": packages,
        },
        "_links": {"self": {"href": f"/orders/{order.order_id}"}},
    }


def order_list_resource(orders: list[StoredOrder], total: int) -> dict[str, Any]:
    return {"totalResults": total, "_embedded": {ORDER_REL: [order_resource(order) for order in orders]}}


def admin_order_view(order: StoredOrder, attempts: int) -> dict[str, Any]:
    """What the admin API shows about one order: the body exactly as received, and what became of it."""
    return {
        "orderId": order.order_id,
        "referenceNum": order.reference_num,
        "status": order.status,
        "statusName": _STATUS_NAMES.get(order.status, str(order.status))
        if isinstance(order.status, int)
        else order.status,
        "createAttempts": attempts,
        "received": order.received,
        "labels": [
            {
                "labelId": label.label_id,
                "trackingNumber": label.tracking_number,
                "carrier": label.carrier,
                "labelUrl": label.label_url,
                "labelFormat": label.label_format,
            }
            for label in order.labels
        ],
        "cancelReason": order.cancel_reason,
        "order": order_resource(order),
    }
