"""Tracking writeback to Shopify through the Admin GraphQL API (REST fulfillments are legacy)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from warpware.connectors.base import (
    LineItem,
    PermanentConnectorError,
    RetryableConnectorError,
    ShipmentNotice,
)
from warpware.connectors.shopify.carriers import shopify_carrier_company
from warpware.connectors.shopify.graphql import ShopifyCredentials, ShopifyGraphQL, ShopifySettings

FULFILLMENT_STATE_QUERY = """
query WarpwareFulfillmentState($id: ID!) {
  order(id: $id) {
    id
    name
    fulfillmentOrders(first: 50) {
      nodes {
        id
        status
        lineItems(first: 250) {
          nodes { id remainingQuantity lineItem { id sku } }
        }
      }
    }
    fulfillments(first: 50) {
      id
      status
      createdAt
      trackingInfo(first: 10) { company number url }
    }
  }
}
""".strip()

FULFILLMENT_CREATE_MUTATION = """
mutation WarpwareFulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}
""".strip()

TRACKING_UPDATE_MUTATION = """
mutation WarpwareTrackingUpdate($fulfillmentId: ID!, $trackingInfoInput: FulfillmentTrackingInput!, \
$notifyCustomer: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId, trackingInfoInput: $trackingInfoInput, \
notifyCustomer: $notifyCustomer) {
    fulfillment { id trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}
""".strip()

# IN_PROGRESS is a partly fulfilled order; ON_HOLD and SCHEDULED refuse fulfillments until released.
_FULFILLABLE_STATUSES = frozenset({"OPEN", "IN_PROGRESS"})


@dataclass(frozen=True)
class _OpenLine:
    fulfillment_order_id: str
    id: str
    remaining: int
    line_item_id: str | None
    sku: str | None


@dataclass(frozen=True)
class _Fulfillment:
    id: str
    created_at: str
    tracking_numbers: frozenset[str]


class ShopifyTrackingWriter:
    """TrackingWriter for Shopify.

    Safe to run twice: a tracking number already on one of the order's fulfillments is not written
    again. With lines still open it creates a fulfillment for them (only the notice's lines when it
    names any); with nothing left open it treats the notice as a tracking change and updates the most
    recent fulfillment.
    """

    def __init__(
        self,
        settings: ShopifySettings,
        credentials: ShopifyCredentials,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        self._settings = settings
        self._graphql = ShopifyGraphQL(settings, credentials, client=client)

    def close(self) -> None:
        self._graphql.close()

    def test(self) -> None:
        """One cheap authenticated call; raises a ConnectorError when the token does not work."""
        self._graphql.execute("query WarpwareShop { shop { name } }")

    def write_tracking(self, notice: ShipmentNotice) -> None:
        order_gid = _order_gid(notice.channel_order_id)
        data = self._graphql.execute(FULFILLMENT_STATE_QUERY, {"id": order_gid})
        order = data.get("order")
        if not isinstance(order, Mapping):
            raise PermanentConnectorError(
                f"Shopify has no order {order_gid} (deleted, or another shop)", category="validation"
            )
        fulfillments = _fulfillments(order)
        if any(notice.tracking_number in f.tracking_numbers for f in fulfillments):
            return
        tracking = _tracking_input(notice)
        groups = _lines_to_fulfil(_open_lines(order), notice.line_items)
        if groups:
            self._create(groups, tracking)
        elif fulfillments:
            latest = max(fulfillments, key=lambda f: f.created_at)
            self._update(latest.id, tracking)
        else:
            raise PermanentConnectorError(
                f"Shopify order {order_gid} has nothing left to fulfil and no fulfillment to update "
                "(cancelled, on hold, or fulfilled by someone else)",
                category="validation",
            )

    def _create(self, groups: list[dict[str, Any]], tracking: dict[str, str]) -> None:
        variables = {
            "fulfillment": {
                "lineItemsByFulfillmentOrder": groups,
                "notifyCustomer": self._settings.notify_customer,
                "trackingInfo": tracking,
            }
        }
        data = self._graphql.execute(FULFILLMENT_CREATE_MUTATION, variables)
        _check_payload(data.get("fulfillmentCreate"), "fulfillmentCreate")

    def _update(self, fulfillment_id: str, tracking: dict[str, str]) -> None:
        variables = {
            "fulfillmentId": fulfillment_id,
            "trackingInfoInput": tracking,
            "notifyCustomer": self._settings.notify_customer,
        }
        data = self._graphql.execute(TRACKING_UPDATE_MUTATION, variables)
        _check_payload(data.get("fulfillmentTrackingInfoUpdate"), "fulfillmentTrackingInfoUpdate")


def _order_gid(channel_order_id: str | None) -> str:
    value = (channel_order_id or "").strip()
    if value.startswith("gid://shopify/Order/") and value.removeprefix("gid://shopify/Order/").isdigit():
        return value
    if not value.isdigit():
        raise PermanentConnectorError(f"not a Shopify order id: {channel_order_id!r}", category="validation")
    return f"gid://shopify/Order/{value}"


def _line_gid(channel_line_id: str | None) -> str | None:
    if channel_line_id is None:
        return None
    return (
        channel_line_id
        if channel_line_id.startswith("gid://")
        else f"gid://shopify/LineItem/{channel_line_id}"
    )


def _tracking_input(notice: ShipmentNotice) -> dict[str, str]:
    tracking = {"number": notice.tracking_number}
    company = shopify_carrier_company(notice.carrier)
    if company is not None:
        tracking["company"] = company
    if notice.tracking_url:
        tracking["url"] = notice.tracking_url
    return tracking


def _nodes(value: object, key: str) -> list[Mapping[str, Any]]:
    container = value.get(key) if isinstance(value, Mapping) else None
    nodes = container.get("nodes") if isinstance(container, Mapping) else None
    return [n for n in nodes if isinstance(n, Mapping)] if isinstance(nodes, list) else []


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _open_lines(order: Mapping[str, Any]) -> list[_OpenLine]:
    lines: list[_OpenLine] = []
    for fulfillment_order in _nodes(order, "fulfillmentOrders"):
        fo_id = _text(fulfillment_order.get("id"))
        if fo_id is None or fulfillment_order.get("status") not in _FULFILLABLE_STATUSES:
            continue
        for node in _nodes(fulfillment_order, "lineItems"):
            line_id, remaining = _text(node.get("id")), node.get("remainingQuantity")
            if (
                line_id is None
                or not isinstance(remaining, int)
                or isinstance(remaining, bool)
                or remaining <= 0
            ):
                continue
            line_item = node.get("lineItem")
            line_item = line_item if isinstance(line_item, Mapping) else {}
            lines.append(
                _OpenLine(fo_id, line_id, remaining, _text(line_item.get("id")), _text(line_item.get("sku")))
            )
    return lines


def _lines_to_fulfil(open_lines: list[_OpenLine], wanted: tuple[LineItem, ...]) -> list[dict[str, Any]]:
    """lineItemsByFulfillmentOrder for the shipment: every open line when the notice names none,
    otherwise the named lines (by Shopify line item id, else by SKU) up to the quantity shipped."""
    chosen: list[tuple[_OpenLine, int]] = []
    if not wanted:
        chosen = [(line, line.remaining) for line in open_lines]
    else:
        left = [item.quantity for item in wanted]
        for line in open_lines:
            capacity = line.remaining
            for index, item in enumerate(wanted):
                if left[index] > 0 and capacity > 0 and _same_line(item, line):
                    take = min(left[index], capacity)
                    left[index] -= take
                    capacity -= take
            if capacity < line.remaining:
                chosen.append((line, line.remaining - capacity))
    groups: dict[str, list[dict[str, Any]]] = {}
    for line, count in chosen:
        groups.setdefault(line.fulfillment_order_id, []).append({"id": line.id, "quantity": count})
    return [
        {"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": items} for fo_id, items in groups.items()
    ]


def _same_line(item: LineItem, line: _OpenLine) -> bool:
    if item.channel_line_id is not None:
        return _line_gid(item.channel_line_id) == line.line_item_id
    return item.sku is not None and item.sku == line.sku


def _fulfillments(order: Mapping[str, Any]) -> list[_Fulfillment]:
    raw = order.get("fulfillments")
    found: list[_Fulfillment] = []
    for fulfillment in raw if isinstance(raw, list) else []:
        if not isinstance(fulfillment, Mapping) or fulfillment.get("status") != "SUCCESS":
            continue
        fulfillment_id = _text(fulfillment.get("id"))
        if fulfillment_id is None:
            continue
        infos = fulfillment.get("trackingInfo")
        numbers = frozenset(
            info["number"]
            for info in (infos if isinstance(infos, list) else [])
            if isinstance(info, Mapping) and isinstance(info.get("number"), str)
        )
        found.append(_Fulfillment(fulfillment_id, str(fulfillment.get("createdAt") or ""), numbers))
    return found


def _check_payload(payload: object, mutation: str) -> None:
    if not isinstance(payload, Mapping):
        raise RetryableConnectorError(f"Shopify {mutation} returned no payload", category="server")
    errors = payload.get("userErrors")
    messages = (
        [str(e.get("message")) for e in errors if isinstance(e, Mapping) and e.get("message")]
        if isinstance(errors, list)
        else []
    )
    if messages:
        raise PermanentConnectorError(f"Shopify {mutation}: {'; '.join(messages)}", category="validation")
    if not isinstance(payload.get("fulfillment"), Mapping):
        raise RetryableConnectorError(
            f"Shopify {mutation} returned neither a fulfillment nor errors", category="server"
        )
