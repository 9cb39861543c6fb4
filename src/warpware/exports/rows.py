"""Collect an export's rows with each resource's own list query, as its list endpoint shows them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.inventory import repository as inventory_repository
from warpware.inventory.schemas import inventory_read
from warpware.kit.pagination import parse_timestamp
from warpware.orders import repository as orders_repository
from warpware.orders.schemas import OrderFilters, order_read
from warpware.products import repository as products_repository
from warpware.products.schemas import product_read

Collector = Callable[[Session, Principal, dict[str, Any], int], tuple[list[dict[str, Any]], int]]
_LINE_CHUNK = 1000


def _when(filters: dict[str, Any], name: str, *, end_of_day: bool = False) -> Any:
    return parse_timestamp(name, filters.get(name), end_of_day=end_of_day)


def order_rows(
    session: Session, principal: Principal, filters: dict[str, Any], limit: int
) -> tuple[list[dict[str, Any]], int]:
    query = OrderFilters(
        tag=filters.get("tag"),
        external_id=filters.get("external_id"),
        tracking_number=filters.get("tracking_number"),
        date_from=_when(filters, "date_from"),
        date_to=_when(filters, "date_to", end_of_day=True),
        updated_since=_when(filters, "updated_since"),
    )
    orders, total = orders_repository.list_page(
        session, principal, query, filters.get("status"), page=1, per_page=limit
    )
    lines: dict[Any, list[Any]] = {}
    for start in range(0, len(orders), _LINE_CHUNK):
        lines.update(
            orders_repository.lines_for(session, [o.id for o in orders[start : start + _LINE_CHUNK]])
        )
    return [order_read(o, lines[o.id]) for o in orders], total


def inventory_rows(
    session: Session, principal: Principal, filters: dict[str, Any], limit: int
) -> tuple[list[dict[str, Any]], int]:
    query = inventory_repository.LevelFilters(
        sku=filters.get("sku"),
        statuses=tuple(filters.get("status") or ()),
        search=filters.get("search"),
        updated_since=_when(filters, "updated_since"),
    )
    rows, total = inventory_repository.list_levels_page(session, principal, query, page=1, per_page=limit)
    return [inventory_read(row) for row in rows], total


def product_rows(
    session: Session, principal: Principal, filters: dict[str, Any], limit: int
) -> tuple[list[dict[str, Any]], int]:
    query = products_repository.ProductFilters(
        sku=filters.get("sku"), search=filters.get("search"), updated_since=_when(filters, "updated_since")
    )
    products, total = products_repository.list_page(session, principal, query, page=1, per_page=limit)
    available = products_repository.available_by_product(session, principal, [p.id for p in products])
    return [product_read(p, available.get(p.id, 0)) for p in products], total


COLLECTORS: dict[str, Collector] = {
    "orders": order_rows,
    "inventory": inventory_rows,
    "products": product_rows,
}
