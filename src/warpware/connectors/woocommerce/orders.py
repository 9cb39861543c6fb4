"""WooCommerce wc/v3 order JSON (the order.created / order.updated webhook body) to NormalizedOrder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

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
)

SOURCE = "woocommerce"


def parse_woocommerce_order(payload: object) -> NormalizedOrder:
    """Map a wc/v3 order to a NormalizedOrder.

    The shipping block is used when it has a street; otherwise the billing one (stores that sell only
    to the billing address leave shipping empty). A line with an empty `sku` gets `variation-<id>`, or
    `product-<id>` for a simple product, so it is never mistaken for a real SKU. The unit price is the
    line's string `total` / quantity when that division is exact, else Woo's numeric `price` read
    through its shortest repr. Raises ChannelPayloadError on unusable input.
    """
    order = as_mapping(payload, "order")
    channel_order_id = id_string(order.get("id"), "order id")
    external_id = opt_str(order, "number") or channel_order_id
    billing = opt_mapping(order, "billing", f"order {external_id} billing") or {}
    shipping = opt_mapping(order, "shipping", f"order {external_id} shipping") or {}
    address_source = shipping if opt_str(shipping, "address_1") else billing
    if not opt_str(address_source, "address_1"):
        raise ChannelPayloadError(f"order {external_id} has no shipping or billing address")

    metadata: dict[str, Any] = {
        "status": opt_str(order, "status"),
        "currency": opt_str(order, "currency"),
        "total": _money_text(order.get("total"), f"order {external_id} total"),
        "order_key": opt_str(order, "order_key"),
        "payment_method": opt_str(order, "payment_method"),
        "used_billing_address": address_source is billing or None,
    }
    return NormalizedOrder(
        external_id=external_id,
        source=SOURCE,
        line_items=_line_items(order, external_id),
        shipping_address=_address(address_source, billing, external_id),
        customer_email=opt_str(billing, "email"),
        customer_name=_full_name(billing),
        note=opt_str(order, "customer_note"),
        metadata={key: value for key, value in metadata.items() if value is not None},
        channel_order_id=channel_order_id,
        service_level=_service_level(order),
        order_date=_date(opt_str(order, "date_created")),
    )


def _line_items(order: Mapping[str, Any], external_id: str) -> tuple[LineItem, ...]:
    raw_lines = as_list(order, "line_items", f"order {external_id} line_items")
    if not raw_lines:
        raise ChannelPayloadError(f"order {external_id} has no line items")
    lines: list[LineItem] = []
    for index, raw in enumerate(raw_lines):
        what = f"order {external_id} line {index + 1}"
        line = as_mapping(raw, what)
        count = quantity(line.get("quantity"), f"{what} quantity")
        lines.append(
            LineItem(
                sku=_sku(line, what),
                quantity=count,
                price=_unit_price(line, count, what),
                name=opt_str(line, "name"),
                channel_line_id=opt_id_string(line, "id", f"{what} id"),
            )
        )
    return tuple(lines)


def _sku(line: Mapping[str, Any], what: str) -> str:
    sku = opt_str(line, "sku")
    if sku is not None:
        return sku
    variation_id = opt_id_string(line, "variation_id", f"{what} variation_id")
    if variation_id is not None:
        return f"variation-{variation_id}"
    product_id = opt_id_string(line, "product_id", f"{what} product_id")
    if product_id is not None:
        return f"product-{product_id}"
    raise ChannelPayloadError(f"{what} has no sku, variation_id or product_id")


def _unit_price(line: Mapping[str, Any], count: int, what: str) -> Decimal | None:
    # `price` is Woo's float of total / quantity; the string `total` is the exact amount charged, so
    # divide it ourselves when that comes out exact ("45.00" / 2 = 22.50) and keep `price` otherwise.
    total = money(line.get("total"), f"{what} total")
    if total is not None and count > 0:
        unit = total / count
        if unit * count == total:
            return unit
    return money(line.get("price"), f"{what} price")


def _address(source: Mapping[str, Any], billing: Mapping[str, Any], external_id: str) -> Address:
    what = f"order {external_id} shipping address"
    name = _full_name(source) or _full_name(billing)
    company = opt_str(source, "company")
    if name is None and company is None:
        raise ChannelPayloadError(f"{what} has no name")
    country = opt_str(source, "country")
    if country is None:
        raise ChannelPayloadError(f"{what} has no country")
    return Address(
        name=name or company or "",
        address1=opt_str(source, "address_1") or "",
        address2=opt_str(source, "address_2"),
        city=opt_str(source, "city") or "",
        state=opt_str(source, "state") or "",
        zip=opt_str(source, "postcode") or "",
        country=country,
        # Woo 5.6+ has a shipping phone; older stores only the billing one.
        phone=opt_str(source, "phone") or opt_str(billing, "phone"),
        company=company,
        email=opt_str(billing, "email"),
    )


def _full_name(block: Mapping[str, Any]) -> str | None:
    joined = " ".join(part for part in (opt_str(block, "first_name"), opt_str(block, "last_name")) if part)
    return joined or None


def _service_level(order: Mapping[str, Any]) -> str | None:
    shipping_lines = order.get("shipping_lines")
    if isinstance(shipping_lines, list) and shipping_lines and isinstance(shipping_lines[0], Mapping):
        return opt_str(shipping_lines[0], "method_title") or opt_str(shipping_lines[0], "method_id")
    return None


def _money_text(value: object, what: str) -> str | None:
    amount = money(value, what)
    return None if amount is None else str(amount)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(value).date() if value else None
    except ValueError:
        return None
