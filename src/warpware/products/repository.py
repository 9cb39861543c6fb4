"""Every query on products. Always tenant-scoped: the account, and the sub-client of a bound key."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.products.models import Product, scope_key


@dataclass(frozen=True)
class ProductFilters:
    sku: str | None = None
    search: str | None = None
    updated_since: dt.datetime | None = None


def scoped(query: Any, model: Any, principal: Principal) -> Any:
    """Tenant isolation for any catalog table with account_id and sub_client_id columns."""
    query = query.where(model.account_id == principal.account_id)
    if principal.sub_client_id is not None:
        query = query.where(model.sub_client_id == principal.sub_client_id)
    return query


def like_pattern(term: str) -> str:
    """A case-insensitive substring pattern with LIKE's wildcards escaped (escape character \\)."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def insert_fn(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _filtered(query: Select[Any], principal: Principal, filters: ProductFilters) -> Select[Any]:
    query = scoped(query, Product, principal)
    if filters.sku:
        query = query.where(Product.sku == filters.sku)
    if filters.search:
        pattern = like_pattern(filters.search)
        query = query.where(
            or_(
                func.lower(Product.name).like(pattern, escape="\\"),
                func.lower(Product.sku).like(pattern, escape="\\"),
            )
        )
    if filters.updated_since:
        query = query.where(Product.updated_at >= filters.updated_since)
    return query


def list_page(
    session: Session, principal: Principal, filters: ProductFilters, *, page: int, per_page: int
) -> tuple[list[Product], int]:
    total = session.scalar(_filtered(select(func.count()).select_from(Product), principal, filters)) or 0
    query = _filtered(select(Product), principal, filters).order_by(Product.seq.desc())
    return list(session.scalars(query.offset((page - 1) * per_page).limit(per_page))), int(total)


def list_after(
    session: Session, principal: Principal, filters: ProductFilters, *, before_seq: int | None, limit: int
) -> list[Product]:
    query = _filtered(select(Product), principal, filters)
    if before_seq is not None:
        query = query.where(Product.seq < before_seq)
    return list(session.scalars(query.order_by(Product.seq.desc()).limit(limit)))


def get_by_sku(session: Session, account_id: uuid.UUID, owner: str, sku: str) -> Product | None:
    return session.scalars(
        select(Product).where(
            Product.account_id == account_id, Product.scope_key == owner, Product.sku == sku
        )
    ).one_or_none()


def upsert(session: Session, values: dict[str, Any], changed: Sequence[str]) -> tuple[Product, bool]:
    """Insert a product or update `changed` fields of the existing one in one statement; (row, created).

    A product is created exactly when its created_at is the timestamp this statement offered.
    """
    table = Product.__table__
    stmt = insert_fn(session)(table).values(**values)
    update = {name: stmt.excluded[name] for name in (*changed, "updated_at")}
    stmt = stmt.on_conflict_do_update(index_elements=["account_id", "scope_key", "sku"], set_=update)
    seq = session.execute(stmt.returning(table.c.seq)).scalar_one()
    product = session.get(Product, seq, populate_existing=True)
    assert product is not None
    return product, product.created_at == values["created_at"]


def insert_missing(session: Session, rows: list[dict[str, Any]]) -> None:
    """Create products that do not exist yet; existing ones are left exactly as they are."""
    if rows:
        stmt = insert_fn(session)(Product.__table__).on_conflict_do_nothing(
            index_elements=["account_id", "scope_key", "sku"]
        )
        session.execute(stmt, rows)


def existing_skus(session: Session, account_id: uuid.UUID, owner: str, skus: Sequence[str]) -> set[str]:
    if not skus:
        return set()
    return set(
        session.scalars(
            select(Product.sku).where(
                Product.account_id == account_id, Product.scope_key == owner, Product.sku.in_(list(skus))
            )
        )
    )


def owner_of(principal: Principal) -> str:
    return scope_key(principal.sub_client_id)


def available_by_product(
    session: Session, principal: Principal, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Units available (on hand less committed) per product, summed over every location."""
    from warpware.inventory.models import InventoryLevel

    if not product_ids:
        return {}
    query = select(InventoryLevel.product_id, func.sum(InventoryLevel.on_hand - InventoryLevel.committed))
    query = scoped(query, InventoryLevel, principal).where(InventoryLevel.product_id.in_(list(product_ids)))
    return {pid: int(total or 0) for pid, total in session.execute(query.group_by(InventoryLevel.product_id))}
