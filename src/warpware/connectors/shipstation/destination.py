"""ShipStation v1 as a Destination: orders go in through the createorder upsert, tracking comes back from
shipments (polled, or fetched when a SHIP_NOTIFY webhook says there is something new)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx

from warpware.connectors.base import (
    Address,
    OutboundOrder,
    PermanentConnectorError,
    RetryableConnectorError,
    SubmitResult,
    TrackingUpdate,
)
from warpware.connectors.shipstation.client import (
    ShipStationClient,
    ShipStationCredentials,
    ShipStationSettings,
)
from warpware.connectors.shipstation.shipments import (
    NO_SHIPMENT,
    ShipmentTracking,
    latest_live_shipment,
    safe_resource_path,
    shipment_list,
    tracking_from_shipment,
)
from warpware.connectors.shipstation.throttle import SlidingWindowLimiter
from warpware.kit.clock import utcnow

# ShipStation v1 reads and writes its timestamps as Pacific local time without an offset.
PACIFIC = ZoneInfo("America/Los_Angeles")
# createorder only updates open orders; these are the ones it can no longer change.
_CLOSED = frozenset({"shipped", "cancelled"})
# The fields createorder accepts; an order read back carries read-only ones we do not echo.
_WRITABLE_FIELDS = (
    "orderNumber",
    "orderKey",
    "orderDate",
    "paymentDate",
    "shipByDate",
    "orderStatus",
    "customerUsername",
    "customerEmail",
    "billTo",
    "shipTo",
    "items",
    "amountPaid",
    "taxAmount",
    "shippingAmount",
    "customerNotes",
    "internalNotes",
    "gift",
    "giftMessage",
    "paymentMethod",
    "requestedShippingService",
    "carrierCode",
    "serviceCode",
    "packageCode",
    "confirmation",
    "shipDate",
    "holdUntilDate",
    "weight",
    "dimensions",
    "insuranceOptions",
    "internationalOptions",
    "advancedOptions",
    "tagIds",
)
_MAX_NOTIFY_PAGES = 20


def shipstation_timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(PACIFIC).strftime("%Y-%m-%dT%H:%M:%S.0000000")


def build_order_body(
    order: OutboundOrder,
    settings: ShipStationSettings,
    *,
    status: str = "awaiting_shipment",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The createorder body. orderKey is our reference, so sending it again updates the same order.

    ShipStation wants a billTo; we only know the ship-to, so billTo repeats it under the customer's name.
    `residential` is left null for ShipStation's own address check to decide.
    """
    ship_to = _address(order.shipping_address)
    bill_to = {**ship_to, "name": order.customer_name or ship_to["name"]}
    return {
        "orderNumber": order.external_id,
        "orderKey": order.reference,
        "orderDate": shipstation_timestamp(_order_date(order, now)),
        "orderStatus": status,
        "customerEmail": order.customer_email or order.shipping_address.email,
        "billTo": bill_to,
        "shipTo": ship_to,
        "items": [
            {
                "lineItemKey": line.channel_line_id or str(index + 1),
                "sku": line.sku,
                "name": line.name or line.sku,
                "quantity": line.quantity,
                "unitPrice": float(line.price) if line.price is not None else None,
            }
            for index, line in enumerate(order.line_items)
        ],
        "customerNotes": order.note,
        "requestedShippingService": order.service_level,
        "advancedOptions": {
            "warehouseId": settings.warehouse_id,
            "storeId": settings.store_id,
            "customField1": order.reference,
        },
    }


class ShipStationDestination:
    """Destination for ShipStation v1 (Basic auth, at most `requests_per_minute` per account)."""

    def __init__(
        self,
        settings: ShipStationSettings,
        credentials: ShipStationCredentials,
        *,
        limiter: SlidingWindowLimiter | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self._settings = settings
        self._api = ShipStationClient(settings, credentials, limiter=limiter, client=client)

    def close(self) -> None:
        self._api.close()

    def submit(self, order: OutboundOrder) -> SubmitResult:
        answer = self._api.request(
            "POST", "/orders/createorder", json_body=build_order_body(order, self._settings)
        )
        order_id = answer.get("orderId") if isinstance(answer, Mapping) else None
        if (
            not isinstance(order_id, int)
            or isinstance(order_id, bool)
            or answer.get("orderKey") != order.reference
        ):
            raise RetryableConnectorError(
                "ShipStation createorder answered without this order's orderId and orderKey",
                category="server",
            )
        status = answer.get("orderStatus")
        return SubmitResult(
            destination_order_id=str(order_id),
            raw_status=status if isinstance(status, str) else None,
            response_status=200,
        )

    def cancel(self, reference: str, destination_order_id: str | None) -> None:
        # orderKey is not a list filter in v1, so without ShipStation's orderId there is nothing to find.
        if destination_order_id is None or not destination_order_id.isdigit():
            return
        try:
            current = self._api.request("GET", f"/orders/{destination_order_id}")
        except PermanentConnectorError as exc:
            if exc.status_code == 404:
                return
            raise
        if not isinstance(current, Mapping):
            raise RetryableConnectorError(
                "ShipStation answered an order read without an order", category="server"
            )
        if current.get("orderKey") != reference:
            raise PermanentConnectorError(
                f"ShipStation order {destination_order_id} belongs to orderKey {current.get('orderKey')!r}, "
                f"not {reference!r}",
                category="validation",
            )
        status = current.get("orderStatus")
        if status == "cancelled":
            return
        if status == "shipped":
            raise PermanentConnectorError(
                f"ShipStation order {destination_order_id} has already shipped", category="validation"
            )
        # createorder takes the whole order (no partial updates): send back what it holds, cancelled.
        body = {key: current[key] for key in _WRITABLE_FIELDS if key in current}
        body["orderStatus"] = "cancelled"
        self._api.request("POST", "/orders/createorder", json_body=body)

    def poll_tracking(self, reference: str, destination_order_id: str | None) -> TrackingUpdate | None:
        if destination_order_id is None or not destination_order_id.isdigit():
            return None
        answer = self._api.request(
            "GET",
            "/shipments",
            params={
                "orderId": destination_order_id,
                "includeShipmentItems": "false",
                "sortBy": "CreateDate",
                "sortDir": "DESC",
                "pageSize": "100",
            },
        )
        shipments, _ = shipment_list(answer)
        shipment = latest_live_shipment(shipments, reference)
        if shipment is None:
            return TrackingUpdate(raw_status=NO_SHIPMENT, status="processing")
        return tracking_from_shipment(shipment)

    def test(self) -> None:
        self._api.request("GET", "/stores", params={"showInactive": "false"})

    def fetch_ship_notify(self, resource_url: str) -> list[ShipmentTracking]:
        """Follow a SHIP_NOTIFY resource_url (only on our base_url's host) and read every live shipment."""
        path, _, query = safe_resource_path(resource_url, self._settings.base_url).partition("?")
        # httpx replaces a URL's query with `params`, so the notify query travels as params too.
        base_params = tuple(
            (key, value) for key, value in parse_qsl(query, keep_blank_values=True) if key != "page"
        )
        found: list[ShipmentTracking] = []
        page, pages = 1, 1
        while page <= min(pages, _MAX_NOTIFY_PAGES):
            params = (*base_params, ("page", str(page))) if page > 1 else base_params
            shipments, pages = shipment_list(self._api.request("GET", path, params=params))
            for shipment in shipments:
                if shipment.get("voided") is True:
                    continue
                found.append(
                    ShipmentTracking(
                        reference=_text(shipment.get("orderKey")),
                        destination_order_id=_text(shipment.get("orderId")),
                        order_number=_text(shipment.get("orderNumber")),
                        update=tracking_from_shipment(shipment),
                    )
                )
            page += 1
        return found


def _address(address: Address) -> dict[str, Any]:
    return {
        "name": address.name,
        "company": address.company,
        "street1": address.address1,
        "street2": address.address2,
        "street3": None,
        "city": address.city,
        "state": address.state,
        "postalCode": address.zip,
        "country": address.country,
        "phone": address.phone,
        "residential": None,
    }


def _order_date(order: OutboundOrder, now: dt.datetime | None) -> dt.datetime:
    # The channel's order date when the pipeline passes one (metadata["order_date"], ISO), else now.
    value = order.metadata.get("order_date")
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, 12, tzinfo=PACIFIC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return now or utcnow()


def _text(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None
