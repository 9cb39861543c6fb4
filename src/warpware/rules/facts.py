"""OrderFacts: everything the rules can look at, built by a pure function from plain data.

The service turns its rows into plain values and calls `build_order_facts`; the engine never sees a
database object. Context that the order alone cannot answer (the account's home country, whether the
customer ordered before, stock levels, the time) is supplied by the caller.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

# Covers "PO Box", "P.O. Box", "P O Box", "POBox", "Post Office Box" and "POB 12". The lookahead keeps
# street names such as "Po Boy Lane" or "Pobst Road" out.
PO_BOX_PATTERN = re.compile(
    r"\b(?:p\.?\s*o\.?\s*b(?:ox)?\.?|post\s+office\s+box)(?=\s|\d|#|$)", re.IGNORECASE
)

_ADDRESS_KEYS: dict[str, tuple[str, ...]] = {
    "country": ("country", "country_code"),
    "state": ("state", "province", "state_code", "province_code"),
    "zip": ("zip", "postal_code", "zip_code", "postcode"),
    "city": ("city",),
    "address1": ("address1", "address_1", "line1"),
    "address2": ("address2", "address_2", "line2"),
}


@dataclass(frozen=True)
class LineFacts:
    index: int
    sku: str
    quantity: int
    price: Decimal

    @property
    def value(self) -> Decimal:
        return self.price * self.quantity


@dataclass(frozen=True)
class OrderFacts:
    lines: tuple[LineFacts, ...]
    now: dt.datetime
    tags: tuple[str, ...] = ()
    source: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    new_customer: bool | None = None
    country: str | None = None
    state: str | None = None
    zip: str | None = None
    city: str | None = None
    address1: str | None = None
    address2: str | None = None
    international: bool | None = None
    service_level: str | None = None
    carrier: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # Keyed by casefolded SKU; a SKU that is absent has no known stock level.
    stock: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def order_value(self) -> Decimal:
        return sum((line.value for line in self.lines), Decimal("0"))

    @property
    def line_count(self) -> int:
        return len(self.lines)

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def skus(self) -> tuple[str, ...]:
        """Distinct SKUs in line order."""
        seen: dict[str, str] = {}
        for line in self.lines:
            seen.setdefault(line.sku.casefold(), line.sku)
        return tuple(seen.values())

    @property
    def po_box(self) -> bool:
        return any(PO_BOX_PATTERN.search(part) for part in (self.address1, self.address2) if part)

    def quantity_needed(self) -> dict[str, int]:
        """Units needed per casefolded SKU, summed over the lines that carry it."""
        needed: dict[str, int] = {}
        for line in self.lines:
            key = line.sku.casefold()
            needed[key] = needed.get(key, 0) + line.quantity
        return needed

    def stock_of(self, sku: str) -> int | None:
        return self.stock.get(sku.casefold())

    def short_skus(self, skus: Iterable[str] | None = None) -> list[tuple[str, int, int]]:
        """(sku, needed, available) for each order SKU, or each of `skus` in the order, short of stock.

        SKUs with no known stock level are not tracked, so they never count as short.
        """
        wanted = {sku.casefold() for sku in skus} if skus is not None else None
        needed = self.quantity_needed()
        short: list[tuple[str, int, int]] = []
        for sku in self.skus:
            key = sku.casefold()
            if wanted is not None and key not in wanted:
                continue
            available = self.stock.get(key)
            if available is not None and available < needed[key]:
                short.append((sku, needed[key], available))
        return short


def build_order_facts(
    *,
    line_items: Iterable[Mapping[str, Any]],
    now: dt.datetime,
    shipping_address: Mapping[str, Any] | None = None,
    tags: Iterable[str] = (),
    source: str | None = None,
    customer_email: str | None = None,
    customer_name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    service_level: str | None = None,
    carrier: str | None = None,
    home_country: str | None = None,
    is_new_customer: bool | None = None,
    stock: Mapping[str, int] | None = None,
) -> OrderFacts:
    """Build the facts the rules evaluate from plain order data plus caller-supplied context.

    `line_items` are mappings with `sku`, `quantity` and `price` (Decimal, int or numeric string; floats
    go through `str` so 19.99 stays 19.99). `now` must carry a time zone: hold times are computed from it.
    `international` is unknown (None) when either the home country or the shipping country is missing.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    lines = tuple(_line(index, item) for index, item in enumerate(line_items))
    address = shipping_address or {}
    parts = {name: _address_part(address, keys) for name, keys in _ADDRESS_KEYS.items()}
    country = parts["country"]
    international = None
    if home_country and country:
        international = home_country.strip().casefold() != country.casefold()
    return OrderFacts(
        lines=lines,
        now=now,
        tags=tuple(tag.strip() for tag in tags if tag and tag.strip()),
        source=_text(source),
        customer_email=_text(customer_email),
        customer_name=_text(customer_name),
        new_customer=is_new_customer,
        country=country,
        state=parts["state"],
        zip=parts["zip"],
        city=parts["city"],
        address1=parts["address1"],
        address2=parts["address2"],
        international=international,
        service_level=_text(service_level),
        carrier=_text(carrier),
        metadata=MappingProxyType(dict(metadata or {})),
        stock=MappingProxyType({sku.casefold(): int(level) for sku, level in (stock or {}).items()}),
    )


def _line(index: int, item: Mapping[str, Any]) -> LineFacts:
    sku = _text(item.get("sku"))
    if sku is None:
        raise ValueError(f"line_items[{index}].sku: required")
    quantity = item.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValueError(f"line_items[{index}].quantity: must be an integer")
    # A line without a price (allowed by the API) adds nothing to the order value.
    price = item.get("price")
    return LineFacts(
        index=index, sku=sku, quantity=quantity, price=_money(0 if price is None else price, index)
    )


def _money(value: Any, index: int) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"line_items[{index}].price: must be a number")
    try:
        price = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"line_items[{index}].price: must be a number") from None
    if not price.is_finite():
        raise ValueError(f"line_items[{index}].price: must be a number")
    return price


def _address_part(address: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = _text(address.get(key))
        if value is not None:
            return value
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
