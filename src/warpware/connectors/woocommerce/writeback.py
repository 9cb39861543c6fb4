"""Tracking writeback to WooCommerce. Core Woo has no tracking API, so the customer gets a customer note
(which Woo emails) and the order is marked completed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from warpware.connectors.base import PermanentConnectorError, RetryableConnectorError, ShipmentNotice
from warpware.connectors.shopify.carriers import shopify_carrier_company
from warpware.connectors.woocommerce.client import (
    WooCommerceClient,
    WooCommerceCredentials,
    WooCommerceSettings,
)

# Marking these completed would undo what the merchant did; a person should look instead.
_CLOSED_STATUSES = frozenset({"cancelled", "refunded", "failed", "trash"})


def shipped_note(notice: ShipmentNotice) -> str:
    # Shopify's carrier names double as readable display names ("ups" -> "UPS").
    carrier = shopify_carrier_company(notice.carrier)
    text = f"Your order has shipped via {carrier}" if carrier else "Your order has shipped"
    text += f", tracking {notice.tracking_number}"
    return f"{text} {notice.tracking_url}" if notice.tracking_url else text


class WooCommerceTrackingWriter:
    """TrackingWriter for WooCommerce. Safe to run twice: a customer note that already carries the
    tracking number is not added again, and an order that is already completed is left as it is."""

    def __init__(
        self,
        settings: WooCommerceSettings,
        credentials: WooCommerceCredentials,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        self._api = WooCommerceClient(settings, credentials, client=client)

    def close(self) -> None:
        self._api.close()

    def test(self) -> None:
        """One cheap authenticated call; raises a ConnectorError when the keys do not work."""
        self._api.request("GET", "/orders", params={"per_page": "1"})

    def write_tracking(self, notice: ShipmentNotice) -> None:
        order_id = _order_id(notice.channel_order_id)
        order = self._api.request("GET", f"/orders/{order_id}")
        if not isinstance(order, Mapping):
            raise RetryableConnectorError(
                "WooCommerce answered an order read without an order", category="server"
            )
        status = order.get("status")
        if status in _CLOSED_STATUSES:
            raise PermanentConnectorError(
                f"WooCommerce order {order_id} is {status}; not marking it shipped", category="validation"
            )
        notes = self._api.request("GET", f"/orders/{order_id}/notes", params={"type": "customer"})
        if not _has_note_for(notes, notice.tracking_number):
            self._api.request(
                "POST",
                f"/orders/{order_id}/notes",
                json_body={"note": shipped_note(notice), "customer_note": True},
            )
        if status != "completed":
            updated = self._api.request("PUT", f"/orders/{order_id}", json_body={"status": "completed"})
            if not isinstance(updated, Mapping) or updated.get("status") != "completed":
                got = updated.get("status") if isinstance(updated, Mapping) else None
                raise PermanentConnectorError(
                    f"WooCommerce did not complete order {order_id} (status {got!r}); a plugin may block it",
                    category="validation",
                )


def _order_id(channel_order_id: str | None) -> str:
    value = (channel_order_id or "").strip()
    if not value.isdigit():
        raise PermanentConnectorError(
            f"not a WooCommerce order id: {channel_order_id!r}", category="validation"
        )
    return value


def _has_note_for(notes: Any, tracking_number: str) -> bool:
    if not isinstance(notes, list):
        return False
    return any(
        isinstance(n, Mapping) and isinstance(n.get("note"), str) and tracking_number in n["note"]
        for n in notes
    )
