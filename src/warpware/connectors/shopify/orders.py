"""Shopify order webhooks (REST Order JSON) to NormalizedOrder, and the order topics we act on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from warpware.connectors.base import Address, LineItem, NormalizedOrder
from warpware.connectors.shopify.payload import (
    ChannelPayloadError,
    as_list,
    as_mapping,
    id_string,
    money,
    opt_id_string,
    opt_mapping,
    opt_str,
    quantity,
    req_str,
)

SOURCE = "shopify"

ShopifyOrderTopic = Literal["orders/create", "orders/updated", "orders/cancelled"]
SHOPIFY_ORDER_TOPICS: frozenset[str] = frozenset({"orders/create", "orders/updated", "orders/cancelled"})


def parse_shopify_order(payload: object) -> NormalizedOrder:
    """Map an orders/create or orders/updated body to a NormalizedOrder.

    A line item with a null or blank `sku` gets `variant-<variant_id>` as its SKU: the prefix keeps it
    from colliding with a real numeric SKU or UPC, and tells a person where the value came from.
    Lines that do not require shipping (gift cards, digital goods) are left out and listed in
    metadata["non_shipping_line_ids"]. Raises ChannelPayloadError for anything we cannot map.
    """
    order = as_mapping(payload, "order")
    channel_order_id = id_string(order.get("id"), "order id")
    external_id = opt_str(order, "name") or opt_str(order, "order_number")
    if external_id is None:
        raise ChannelPayloadError(f"order {channel_order_id} has no name or order_number")

    lines, non_shipping = _line_items(order, external_id)
    shipping = opt_mapping(order, "shipping_address", "shipping_address")
    if shipping is None:
        raise ChannelPayloadError(f"order {external_id} has no shipping address")

    metadata: dict[str, Any] = {
        "financial_status": opt_str(order, "financial_status"),
        "fulfillment_status": opt_str(order, "fulfillment_status"),
        "order_number": opt_str(order, "order_number"),
        "admin_graphql_api_id": opt_str(order, "admin_graphql_api_id"),
        "currency": opt_str(order, "currency"),
        "total_price": _money_text(order, "total_price", external_id),
    }
    if non_shipping:
        metadata["non_shipping_line_ids"] = non_shipping
    cancelled_at = opt_str(order, "cancelled_at")
    if cancelled_at is not None:
        metadata["cancelled_at"] = cancelled_at
        metadata["cancel_reason"] = opt_str(order, "cancel_reason")

    return NormalizedOrder(
        external_id=external_id,
        source=SOURCE,
        line_items=lines,
        shipping_address=_address(shipping, external_id),
        customer_email=opt_str(order, "email") or opt_str(order, "contact_email"),
        customer_name=_customer_name(order),
        note=opt_str(order, "note"),
        tags=_tags(order.get("tags")),
        metadata={key: value for key, value in metadata.items() if value is not None},
        channel_order_id=channel_order_id,
        service_level=_service_level(order),
        order_date=_date(opt_str(order, "created_at")),
    )


@dataclass(frozen=True)
class ShopifyOrderEvent:
    """What an order webhook asks of us. `order` is None for orders/cancelled, which only needs ids."""

    topic: ShopifyOrderTopic
    channel_order_id: str
    external_id: str | None
    order: NormalizedOrder | None
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = None

    @property
    def is_cancellation(self) -> bool:
        # Shopify also sends orders/updated when an order is cancelled; both mean "stop this order".
        return self.topic == "orders/cancelled" or self.cancelled_at is not None


def parse_shopify_order_event(topic: str | None, payload: object) -> ShopifyOrderEvent:
    """Route an order webhook on its X-Shopify-Topic. Unknown topics raise ChannelPayloadError; callers
    that subscribe to more topics should check SHOPIFY_ORDER_TOPICS first and answer 200 to the rest."""
    if topic not in SHOPIFY_ORDER_TOPICS:
        raise ChannelPayloadError(f"unsupported Shopify topic {topic!r}")
    order = as_mapping(payload, "order")
    channel_order_id = id_string(order.get("id"), "order id")
    cancelled_at = _timestamp(opt_str(order, "cancelled_at"), "cancelled_at")
    cancel_reason = opt_str(order, "cancel_reason")
    if topic == "orders/cancelled":
        return ShopifyOrderEvent(
            topic="orders/cancelled",
            channel_order_id=channel_order_id,
            external_id=opt_str(order, "name"),
            order=None,
            cancelled_at=cancelled_at,
            cancel_reason=cancel_reason,
        )
    normalized = parse_shopify_order(order)
    kind: ShopifyOrderTopic = "orders/create" if topic == "orders/create" else "orders/updated"
    return ShopifyOrderEvent(
        topic=kind,
        channel_order_id=channel_order_id,
        external_id=normalized.external_id,
        order=normalized,
        cancelled_at=cancelled_at,
        cancel_reason=cancel_reason,
    )


def _line_items(order: Mapping[str, Any], external_id: str) -> tuple[tuple[LineItem, ...], list[str]]:
    raw_lines = as_list(order, "line_items", f"order {external_id} line_items")
    if not raw_lines:
        raise ChannelPayloadError(f"order {external_id} has no line items")
    lines: list[LineItem] = []
    non_shipping: list[str] = []
    for index, raw in enumerate(raw_lines):
        what = f"order {external_id} line {index + 1}"
        line = as_mapping(raw, what)
        line_id = opt_id_string(line, "id", f"{what} id")
        if line.get("requires_shipping") is False:
            non_shipping.append(line_id or str(index + 1))
            continue
        lines.append(
            LineItem(
                sku=_sku(line, what),
                quantity=quantity(line.get("quantity"), f"{what} quantity"),
                price=money(line.get("price"), f"{what} price"),
                name=opt_str(line, "title") or opt_str(line, "name"),
                channel_line_id=line_id,
            )
        )
    if not lines:
        raise ChannelPayloadError(f"order {external_id} has no line items that require shipping")
    return tuple(lines), non_shipping


def _sku(line: Mapping[str, Any], what: str) -> str:
    sku = opt_str(line, "sku")
    if sku is not None:
        return sku
    variant_id = opt_id_string(line, "variant_id", f"{what} variant_id")
    if variant_id is None:
        raise ChannelPayloadError(f"{what} has neither a sku nor a variant_id")
    return f"variant-{variant_id}"


def _address(shipping: Mapping[str, Any], external_id: str) -> Address:
    what = f"order {external_id} shipping address"
    first, last = opt_str(shipping, "first_name"), opt_str(shipping, "last_name")
    name = opt_str(shipping, "name") or " ".join(part for part in (first, last) if part) or None
    company = opt_str(shipping, "company")
    if name is None and company is None:
        raise ChannelPayloadError(f"{what} has no name")
    country = opt_str(shipping, "country_code") or opt_str(shipping, "country")
    if country is None:
        raise ChannelPayloadError(f"{what} has no country")
    return Address(
        name=name or company or "",
        address1=req_str(shipping, "address1", f"{what} address1"),
        address2=opt_str(shipping, "address2"),
        city=opt_str(shipping, "city") or "",
        # Some countries have neither provinces nor postcodes; an empty string says "none given".
        state=opt_str(shipping, "province_code") or opt_str(shipping, "province") or "",
        zip=opt_str(shipping, "zip") or "",
        country=country,
        phone=opt_str(shipping, "phone"),
        company=company,
    )


def _customer_name(order: Mapping[str, Any]) -> str | None:
    for key in ("customer", "billing_address"):
        value = order.get(key)
        if isinstance(value, Mapping):
            parts = [opt_str(value, "first_name"), opt_str(value, "last_name")]
            joined = " ".join(part for part in parts if part)
            if joined:
                return joined
    return None


def _tags(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(tag.strip() for tag in value.split(",") if tag.strip())
    if isinstance(value, list):
        return tuple(tag.strip() for tag in value if isinstance(tag, str) and tag.strip())
    return ()


def _service_level(order: Mapping[str, Any]) -> str | None:
    shipping_lines = order.get("shipping_lines")
    if isinstance(shipping_lines, list) and shipping_lines and isinstance(shipping_lines[0], Mapping):
        return opt_str(shipping_lines[0], "title") or opt_str(shipping_lines[0], "code")
    return None


def _money_text(order: Mapping[str, Any], key: str, external_id: str) -> str | None:
    # Kept as text in metadata so it survives a JSON column exactly.
    amount = money(order.get(key), f"order {external_id} {key}")
    return None if amount is None else str(amount)


def _timestamp(value: str | None, what: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ChannelPayloadError(f"{what} is not an ISO 8601 timestamp: {value!r}") from None


def _date(value: str | None) -> dt.date | None:
    # The shop's local date, as the merchant sees it in their admin.
    try:
        return dt.datetime.fromisoformat(value).date() if value else None
    except ValueError:
        return None
