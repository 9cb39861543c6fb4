"""Product operations over a session. They never commit: the request or job does, once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.errors import BadRequest
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id
from warpware.kit.pagination import PageRequest
from warpware.orders import repository as orders_repository
from warpware.products import repository
from warpware.products.models import Product, scope_key
from warpware.products.schemas import ProductUpsert

MAX_SKU_LENGTH = 120
TEST_ORDER_TAG = "TEST_ORDER"  # pipeline.evaluation.TEST_ORDER_TAG


def check_sku(sku: str) -> str:
    """A SKU from a URL path: 1-120 characters, no surrounding space, no control characters."""
    value = sku.strip()
    if not value or len(value) > MAX_SKU_LENGTH or any(ord(c) < 32 for c in value):
        raise BadRequest(f"SKU must be 1 to {MAX_SKU_LENGTH} printable characters (got {sku!r})")
    return value


def list_products(
    session: Session, principal: Principal, filters: repository.ProductFilters, paging: PageRequest
) -> tuple[list[tuple[Product, int]], int | None, int | None]:
    """(products with their inventory_count, total in page mode, the next cursor's seq in cursor mode)."""
    total: int | None = None
    next_seq: int | None = None
    if paging.cursor_mode:
        rows = repository.list_after(
            session, principal, filters, before_seq=paging.after, limit=paging.per_page + 1
        )
        if len(rows) > paging.per_page:
            rows = rows[: paging.per_page]
            next_seq = rows[-1].seq
    else:
        rows, total = repository.list_page(
            session, principal, filters, page=paging.page, per_page=paging.per_page
        )
    counts = repository.available_by_product(session, principal, [p.id for p in rows])
    return [(p, counts.get(p.id, 0)) for p in rows], total, next_seq


def inventory_count(session: Session, principal: Principal, product: Product) -> int:
    return repository.available_by_product(session, principal, [product.id]).get(product.id, 0)


def upsert_product(
    session: Session, principal: Principal, sku: str, body: ProductUpsert
) -> tuple[Product, bool]:
    """Create the caller's product for `sku` or update the fields sent; returns (product, created)."""
    now = utcnow()
    sent = body.model_fields_set
    values: dict[str, Any] = {
        "id": new_id(),
        "account_id": principal.account_id,
        "sub_client_id": principal.sub_client_id,
        "scope_key": scope_key(principal.sub_client_id),
        "sku": sku,
        "name": body.name or sku,
        "description": body.description,
        "price": body.price,
        "platform": body.platform or "api",
        "low_stock_threshold": body.low_stock_threshold,
        "created_at": now,
        "updated_at": now,
    }
    # A field sent as null clears it; name and platform cannot be cleared.
    changed: list[str] = [f for f in ("description", "price", "low_stock_threshold") if f in sent]
    changed += [f for f in ("name", "platform") if f in sent and getattr(body, f) is not None]
    return repository.upsert(session, values, changed)


def ensure_product(session: Session, principal: Principal, sku: str) -> Product:
    """The caller's product for `sku`, created with defaults when there is none (stock named a new SKU)."""
    product = repository.get_by_sku(session, principal.account_id, scope_key(principal.sub_client_id), sku)
    if product is not None:
        return product
    created, _ = upsert_product(session, principal, sku, ProductUpsert())
    return created


def discover_from_order(session: Session, order: Any) -> None:
    """A SKU an order names that the client's catalog lacks becomes a master product (docs: an unmatched
    product creates a new master product automatically). Named after the line, priced at the line's
    price, its platform the order's source. Existing products are never changed."""
    if TEST_ORDER_TAG in (order.tags or ()):
        return  # test orders (simulations) name sample SKUs that are not the client's catalog
    owner = scope_key(order.sub_client_id)
    wanted = {line.sku: line for line in orders_repository.lines_for(session, [order.id])[order.id]}
    missing = set(wanted) - repository.existing_skus(session, order.account_id, owner, list(wanted))
    now = utcnow()
    repository.insert_missing(
        session,
        [
            {
                "id": new_id(),
                "account_id": order.account_id,
                "sub_client_id": order.sub_client_id,
                "scope_key": owner,
                "sku": sku,
                "name": (wanted[sku].name or sku)[:300],
                "description": None,
                "price": wanted[sku].price,
                "platform": (order.source or "api")[:40],
                "low_stock_threshold": None,
                "created_at": now,
                "updated_at": now,
            }
            for sku in sorted(missing)
        ],
    )
