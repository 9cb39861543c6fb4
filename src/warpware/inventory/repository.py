"""Every query on locations, stock levels, adjustments, commitments, settings and channel pushes.

Always tenant-scoped by the caller: the account, and the sub-client of a bound key.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Row, Select, Table, case, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.connections.models import Connection
from warpware.inventory.models import (
    InventoryAdjustment,
    InventoryCommitment,
    InventoryLevel,
    InventoryPush,
    InventorySettings,
    Location,
)
from warpware.products.models import Product
from warpware.products.repository import insert_fn, like_pattern, scoped

# A SKU with at most this many units available is low on stock, unless its product or its client's
# inventory settings say otherwise. The reference's example shows 12 available as low_stock.
DEFAULT_LOW_STOCK_THRESHOLD = 20

_levels = cast(Table, InventoryLevel.__table__)

# --- stock levels ----------------------------------------------------------------------------------

AVAILABLE = InventoryLevel.on_hand - InventoryLevel.committed
THRESHOLD = func.coalesce(
    Product.low_stock_threshold, InventorySettings.low_stock_threshold, literal(DEFAULT_LOW_STOCK_THRESHOLD)
)
STATUS = case((AVAILABLE <= 0, "out_of_stock"), (AVAILABLE <= THRESHOLD, "low_stock"), else_="in_stock")


@dataclass(frozen=True)
class LevelFilters:
    sku: str | None = None
    statuses: tuple[str, ...] = ()
    search: str | None = None
    updated_since: dt.datetime | None = None
    location_id: uuid.UUID | None = None


def _own_filters(query: Select[Any], principal: Principal | None, filters: LevelFilters) -> Select[Any]:
    """The conditions on inventory_levels' own columns."""
    if principal is not None:
        query = cast(Select[Any], scoped(query, InventoryLevel, principal))
    if filters.sku:
        query = query.where(InventoryLevel.sku == filters.sku)
    if filters.location_id:
        query = query.where(InventoryLevel.location_id == filters.location_id)
    if filters.updated_since:
        query = query.where(InventoryLevel.updated_at >= filters.updated_since)
    if filters.search:
        # The matching products first (one pass over the catalog), then their levels by index.
        pattern = like_pattern(filters.search)
        matching = select(Product.id).where(
            or_(
                func.lower(Product.name).like(pattern, escape="\\"),
                func.lower(Product.sku).like(pattern, escape="\\"),
            )
        )
        if principal is not None:
            matching = scoped(matching, Product, principal)
        query = query.where(InventoryLevel.product_id.in_(matching))
    return query


def _needs_join(filters: LevelFilters) -> bool:
    """Only the status needs the product and settings rows (for the thresholds) to filter."""
    return bool(filters.statuses)


def _level_rows(principal: Principal | None, filters: LevelFilters, *columns: Any) -> Select[Any]:
    query = (
        select(*columns)
        .select_from(InventoryLevel)
        .join(Product, Product.id == InventoryLevel.product_id)
        .join(Location, Location.id == InventoryLevel.location_id)
        .outerjoin(
            InventorySettings,
            (InventorySettings.account_id == InventoryLevel.account_id)
            & (InventorySettings.scope_key == InventoryLevel.scope_key),
        )
    )
    query = _own_filters(query, principal, filters)
    if filters.statuses:
        query = query.where(STATUS.in_(filters.statuses))
    return query


LEVEL_COLUMNS = (InventoryLevel, Product.name, Location, STATUS.label("status"))


def list_levels_page(
    session: Session, principal: Principal, filters: LevelFilters, *, page: int, per_page: int
) -> tuple[list[Row[Any]], int]:
    offset = (page - 1) * per_page
    if _needs_join(filters):
        total = session.scalar(_level_rows(principal, filters, func.count())) or 0
        query = _level_rows(principal, filters, *LEVEL_COLUMNS).order_by(InventoryLevel.seq.desc())
        return list(session.execute(query.offset(offset).limit(per_page))), int(total)
    # Every level has its product and location, so without a status filter the count and the page's
    # seqs come from inventory_levels alone; only the page's rows are joined (a deep page would
    # otherwise join every row it skips).
    total = session.scalar(_own_filters(select(func.count()).select_from(InventoryLevel), principal, filters))
    seqs = _own_filters(select(InventoryLevel.seq), principal, filters).order_by(InventoryLevel.seq.desc())
    page_seqs = seqs.offset(offset).limit(per_page).scalar_subquery()
    query = _level_rows(None, LevelFilters(), *LEVEL_COLUMNS).where(InventoryLevel.seq.in_(page_seqs))
    return list(session.execute(query.order_by(InventoryLevel.seq.desc()))), int(total or 0)


def list_levels_after(
    session: Session, principal: Principal, filters: LevelFilters, *, before_seq: int | None, limit: int
) -> list[Row[Any]]:
    query = _level_rows(principal, filters, *LEVEL_COLUMNS)
    if before_seq is not None:
        query = query.where(InventoryLevel.seq < before_seq)
    return list(session.execute(query.order_by(InventoryLevel.seq.desc()).limit(limit)))


def level_row(session: Session, level_seq: int) -> Row[Any]:
    """One level as the lists show it; the caller found it within its own scope."""
    query = _level_rows(None, LevelFilters(), *LEVEL_COLUMNS)
    return session.execute(query.where(InventoryLevel.seq == level_seq)).one()


def level_locations(session: Session, account_id: uuid.UUID, owner: str, sku: str) -> list[uuid.UUID]:
    """The locations where the client stocks `sku`."""
    return list(
        session.scalars(
            select(InventoryLevel.location_id).where(
                InventoryLevel.account_id == account_id,
                InventoryLevel.scope_key == owner,
                InventoryLevel.sku == sku,
            )
        )
    )


def adjust(
    session: Session,
    account_id: uuid.UUID,
    owner: str,
    sku: str,
    location_id: uuid.UUID,
    delta: int,
    *,
    now: dt.datetime,
) -> tuple[int, int, int] | None:
    """Add `delta` to on hand in ONE statement, refusing (None) when a removal would take the units
    available (on hand less committed) below zero; returns (level seq, on hand, committed) after.

    The guard sits in the UPDATE's WHERE, so concurrent adjustments serialise on the row and each one
    is checked against the value the one before it left (PostgreSQL re-reads the row after waiting;
    SQLite runs one writer at a time). A positive delta is always accepted, even while oversold.
    """
    stmt = update(_levels).where(
        _levels.c.account_id == account_id,
        _levels.c.scope_key == owner,
        _levels.c.sku == sku,
        _levels.c.location_id == location_id,
    )
    if delta < 0:
        stmt = stmt.where(_levels.c.on_hand - _levels.c.committed + delta >= 0)
    stmt = stmt.values(on_hand=_levels.c.on_hand + delta, updated_at=now).returning(
        _levels.c.seq, _levels.c.on_hand, _levels.c.committed
    )
    row = session.execute(stmt).one_or_none()
    return (int(row[0]), int(row[1]), int(row[2])) if row is not None else None


def lock_level(
    session: Session, account_id: uuid.UUID, owner: str, sku: str, location_id: uuid.UUID
) -> InventoryLevel | None:
    return session.scalars(
        select(InventoryLevel)
        .where(
            InventoryLevel.account_id == account_id,
            InventoryLevel.scope_key == owner,
            InventoryLevel.sku == sku,
            InventoryLevel.location_id == location_id,
        )
        .with_for_update()
    ).one_or_none()


def insert_level_if_missing(session: Session, values: dict[str, Any]) -> None:
    stmt = (
        insert_fn(session)(_levels)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["account_id", "scope_key", "sku", "location_id"])
    )
    session.execute(stmt)


def add_adjustment(session: Session, **fields: Any) -> None:
    session.add(InventoryAdjustment(**fields))


def adjustments_for(session: Session, level_seq: int) -> list[InventoryAdjustment]:
    return list(
        session.scalars(
            select(InventoryAdjustment)
            .where(InventoryAdjustment.level_seq == level_seq)
            .order_by(InventoryAdjustment.id)
        )
    )


# --- commitments -----------------------------------------------------------------------------------


def active_commitments(session: Session, order_id: uuid.UUID) -> list[InventoryCommitment]:
    return list(
        session.scalars(
            select(InventoryCommitment)
            .where(InventoryCommitment.order_id == order_id, InventoryCommitment.status == "committed")
            .order_by(InventoryCommitment.id)
        )
    )


def levels_at(
    session: Session, account_id: uuid.UUID, owner: str, location_id: uuid.UUID, skus: Iterable[str]
) -> dict[str, int]:
    """sku → level seq for the client's levels of `skus` at one location."""
    wanted = list(skus)
    if not wanted:
        return {}
    rows = session.execute(
        select(InventoryLevel.sku, InventoryLevel.seq).where(
            InventoryLevel.account_id == account_id,
            InventoryLevel.scope_key == owner,
            InventoryLevel.location_id == location_id,
            InventoryLevel.sku.in_(wanted),
        )
    )
    return {sku: int(seq) for sku, seq in rows}


def add_committed(session: Session, level_seq: int, quantity: int, now: dt.datetime) -> None:
    session.execute(
        update(_levels)
        .where(_levels.c.seq == level_seq)
        .values(committed=_levels.c.committed + quantity, updated_at=now)
    )


def _minus(column: Any, quantity: int) -> Any:
    # Never below zero, whatever happened to the level in between (a CHECK constraint would fail the job).
    return case((column >= quantity, column - quantity), else_=0)


def remove_committed(
    session: Session, level_seq: int, quantity: int, now: dt.datetime, *, consume: bool
) -> None:
    """Give committed units back (released), or take them off on hand too (consumed: they shipped)."""
    values: dict[str, Any] = {"committed": _minus(_levels.c.committed, quantity), "updated_at": now}
    if consume:
        values["on_hand"] = _minus(_levels.c.on_hand, quantity)
    session.execute(update(_levels).where(_levels.c.seq == level_seq).values(**values))


def add_commitments(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(InventoryCommitment), rows)


def commitments_for(session: Session, order_id: uuid.UUID) -> list[InventoryCommitment]:
    return list(
        session.scalars(
            select(InventoryCommitment)
            .where(InventoryCommitment.order_id == order_id)
            .order_by(InventoryCommitment.id)
        )
    )


# --- settings --------------------------------------------------------------------------------------


def settings_for(session: Session, account_id: uuid.UUID, owner: str) -> InventorySettings | None:
    return session.get(InventorySettings, (account_id, owner))


def save_threshold(
    session: Session, account_id: uuid.UUID, owner: str, threshold: int, now: dt.datetime
) -> None:
    stmt = insert_fn(session)(InventorySettings).values(
        account_id=account_id, scope_key=owner, low_stock_threshold=threshold, updated_at=now
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["account_id", "scope_key"],
            set_={"low_stock_threshold": threshold, "updated_at": now},
        )
    )


# --- locations -------------------------------------------------------------------------------------


def locations_for(session: Session, account_id: uuid.UUID) -> list[Location]:
    return list(
        session.scalars(select(Location).where(Location.account_id == account_id).order_by(Location.seq))
    )


def get_location(session: Session, account_id: uuid.UUID, location_id: uuid.UUID) -> Location | None:
    return session.scalars(
        select(Location).where(
            Location.account_id == account_id,
            or_(Location.id == location_id, Location.connection_id == location_id),
        )
    ).first()


def location_of_connection(
    session: Session, account_id: uuid.UUID, connection_id: uuid.UUID
) -> Location | None:
    return session.scalars(
        select(Location).where(Location.account_id == account_id, Location.connection_id == connection_id)
    ).one_or_none()


def insert_location(session: Session, values: dict[str, Any]) -> None:
    """Insert a location; one for a connection that another transaction just added is left alone."""
    stmt = insert_fn(session)(Location).values(**values)
    if values.get("connection_id") is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["account_id", "connection_id"])
    session.execute(stmt)


def update_location(session: Session, location_id: uuid.UUID, values: dict[str, Any]) -> None:
    session.execute(update(Location).where(Location.id == location_id).values(**values))


def all_connections(session: Session, account_id: uuid.UUID) -> list[Connection]:
    """Deleted ones too: their locations become inactive."""
    return list(
        session.scalars(
            select(Connection).where(Connection.account_id == account_id).order_by(Connection.created_at)
        )
    )


def sku_counts(
    session: Session, principal: Principal, location_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not location_ids:
        return {}
    query = scoped(
        select(InventoryLevel.location_id, func.count(func.distinct(InventoryLevel.sku))),
        InventoryLevel,
        principal,
    )
    query = query.where(InventoryLevel.location_id.in_(list(location_ids))).group_by(
        InventoryLevel.location_id
    )
    return {location_id: int(n) for location_id, n in session.execute(query)}


def list_locations(
    session: Session,
    account_id: uuid.UUID,
    *,
    platform: str | None,
    page: int | None,
    per_page: int,
    before_seq: int | None,
) -> tuple[list[Location], int]:
    """Newest first, as every list; page mode when `page` is given, keyset below `before_seq` otherwise."""
    query = select(Location).where(Location.account_id == account_id)
    if platform:
        query = query.where(Location.platform == platform)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if page is not None:
        query = query.order_by(Location.seq.desc()).offset((page - 1) * per_page)
    else:
        if before_seq is not None:
            query = query.where(Location.seq < before_seq)
        query = query.order_by(Location.seq.desc())
    return list(session.scalars(query.limit(per_page))), int(total)


# --- downstream pushes -----------------------------------------------------------------------------


def available_per_product(
    session: Session, account_id: uuid.UUID, sub_client_id: uuid.UUID | None
) -> dict[uuid.UUID, tuple[str, int]]:
    """product → (sku, units available over every location) for one client's stock."""
    query = select(InventoryLevel.product_id, InventoryLevel.sku, func.sum(AVAILABLE)).where(
        InventoryLevel.account_id == account_id
    )
    query = query.where(
        InventoryLevel.sub_client_id.is_(None)
        if sub_client_id is None
        else InventoryLevel.sub_client_id == sub_client_id
    )
    rows = session.execute(query.group_by(InventoryLevel.product_id, InventoryLevel.sku))
    return {pid: (sku, int(total or 0)) for pid, sku, total in rows}


def last_pushes(session: Session, connection_id: uuid.UUID) -> dict[uuid.UUID, tuple[int, str]]:
    """product → (quantity, status) of the newest push to one channel."""
    newest = (
        select(func.max(InventoryPush.id).label("id"))
        .where(InventoryPush.connection_id == connection_id)
        .group_by(InventoryPush.product_id)
        .subquery()
    )
    rows = session.execute(
        select(InventoryPush.product_id, InventoryPush.quantity, InventoryPush.status).join(
            newest, newest.c.id == InventoryPush.id
        )
    )
    return {pid: (int(quantity), status) for pid, quantity, status in rows}


def add_pushes(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    stmt = insert(InventoryPush).returning(InventoryPush.id, sort_by_parameter_order=True)
    result = session.execute(stmt, rows)
    return [int(i) for i in result.scalars()]


def pushes(session: Session, push_ids: Sequence[int]) -> list[InventoryPush]:
    return list(
        session.scalars(
            select(InventoryPush).where(InventoryPush.id.in_(list(push_ids))).order_by(InventoryPush.id)
        )
    )


def newer_push_exists(session: Session, push: InventoryPush) -> bool:
    return (
        session.scalar(
            select(func.count()).where(
                InventoryPush.connection_id == push.connection_id,
                InventoryPush.product_id == push.product_id,
                InventoryPush.id > push.id,
            )
        )
        != 0
    )


@dataclass(frozen=True)
class PushFilters:
    channel_ids: Sequence[uuid.UUID] | None = None  # None: every channel of the account
    sku: str | None = None
    status: str | None = None  # a public status: not_found is a skipped push whose detail says so
    not_found_prefix: str = "not_found: "


def list_pushes(
    session: Session,
    account_id: uuid.UUID,
    filters: PushFilters,
    *,
    page: int | None,
    per_page: int,
    before_id: int | None,
) -> tuple[list[InventoryPush], int | None]:
    """Newest first; page mode (with the total) when `page` is given, keyset below `before_id` otherwise."""
    query = select(InventoryPush).where(InventoryPush.account_id == account_id)
    if filters.channel_ids is not None:
        query = query.where(InventoryPush.connection_id.in_(list(filters.channel_ids)))
    if filters.sku is not None:
        query = query.where(InventoryPush.sku == filters.sku)
    not_found = InventoryPush.detail.startswith(filters.not_found_prefix, autoescape=True)
    if filters.status == "not_found":
        query = query.where(InventoryPush.status == "skipped", not_found)
    elif filters.status == "skipped":
        query = query.where(
            InventoryPush.status == "skipped", or_(InventoryPush.detail.is_(None), ~not_found)
        )
    elif filters.status is not None:
        query = query.where(InventoryPush.status == filters.status)
    if page is not None:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        query = query.order_by(InventoryPush.id.desc()).offset((page - 1) * per_page)
        return list(session.scalars(query.limit(per_page))), int(total)
    if before_id is not None:
        query = query.where(InventoryPush.id < before_id)
    return list(session.scalars(query.order_by(InventoryPush.id.desc()).limit(per_page))), None
