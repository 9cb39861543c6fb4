"""Brokering's queries: the only place in the package that builds SQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.brokering.models import BrokeringLocation, BrokeringRun, BrokeringSettings, OrderBrokering
from warpware.connections.models import Connection
from warpware.connectors.registry import DESTINATION_TYPES
from warpware.inventory.models import InventoryCommitment, InventoryLevel, Location
from warpware.orders.models import Order
from warpware.orders.repository import scoped
from warpware.worker.queue import affected_rows

_levels = cast(Table, InventoryLevel.__table__)


def settings_for(session: Session, account_id: uuid.UUID) -> BrokeringSettings | None:
    return session.get(BrokeringSettings, account_id)


def enabled_settings(session: Session) -> list[BrokeringSettings]:
    return list(session.scalars(select(BrokeringSettings).where(BrokeringSettings.enabled.is_(True))))


# --- locations -------------------------------------------------------------------------------------


def locations_with_attributes(
    session: Session, account_id: uuid.UUID
) -> list[tuple[Location, BrokeringLocation | None, Connection | None]]:
    rows = session.execute(
        select(Location, BrokeringLocation, Connection)
        .outerjoin(BrokeringLocation, BrokeringLocation.location_id == Location.id)
        .outerjoin(Connection, Connection.id == Location.connection_id)
        .where(Location.account_id == account_id)
        .order_by(Location.seq)
    ).all()
    return [(loc, attrs, conn) for loc, attrs, conn in rows]


def attributes_for(session: Session, location_id: uuid.UUID) -> BrokeringLocation | None:
    return session.get(BrokeringLocation, location_id)


@dataclass(frozen=True)
class Site:
    """A location brokering may route to, with the connection orders routed there are sent through."""

    location_id: uuid.UUID
    name: str
    connection_id: uuid.UUID
    zip: str | None
    priority: int
    daily_capacity: int | None
    safety_stock: int | None
    kind: str


def brokering_sites(session: Session, account_id: uuid.UUID) -> list[Site]:
    """Enabled brokering locations that are active and tied to a live destination connection."""
    rows = session.execute(
        select(Location, BrokeringLocation, Connection)
        .join(BrokeringLocation, BrokeringLocation.location_id == Location.id)
        .join(Connection, Connection.id == Location.connection_id)
        .where(
            Location.account_id == account_id,
            Location.active.is_(True),
            BrokeringLocation.enabled.is_(True),
            Connection.deleted_at.is_(None),
            Connection.type.in_(sorted(DESTINATION_TYPES)),
        )
        .order_by(Location.seq)
    ).all()
    return [
        Site(
            location_id=loc.id,
            name=loc.name,
            connection_id=conn.id,
            zip=attrs.zip,
            priority=attrs.priority,
            daily_capacity=attrs.daily_capacity,
            safety_stock=attrs.safety_stock,
            kind=attrs.kind,
        )
        for loc, attrs, conn in rows
    ]


def levels(
    session: Session,
    account_id: uuid.UUID,
    scope_key: str,
    location_ids: Collection[uuid.UUID],
    skus: Collection[str],
    *,
    lock: bool = False,
) -> dict[tuple[uuid.UUID, str], tuple[int, int]]:
    """(location, sku) → (level seq, units available = on hand − committed) for one client's stock.

    With `lock`, the rows are locked in seq order (PostgreSQL) until the caller's transaction ends: two
    runs whose batches share stock then take turns instead of deadlocking on each other's guarded
    UPDATEs, and the second plans from what the first committed.
    """
    if not location_ids or not skus:
        return {}
    query = (
        select(
            InventoryLevel.location_id,
            InventoryLevel.sku,
            InventoryLevel.seq,
            InventoryLevel.on_hand - InventoryLevel.committed,
        )
        .where(
            InventoryLevel.account_id == account_id,
            InventoryLevel.scope_key == scope_key,
            InventoryLevel.location_id.in_(list(location_ids)),
            InventoryLevel.sku.in_(sorted(skus)),
        )
        .order_by(InventoryLevel.seq)
    )
    rows = session.execute(query.with_for_update() if lock else query)
    return {(loc, sku): (int(seq), int(available)) for loc, sku, seq, available in rows}


def commit_units(session: Session, level_seq: int, quantity: int, reserve: int, now: dt.datetime) -> bool:
    """Commit `quantity` units of a level only if that leaves at least `reserve` available.

    One guarded UPDATE: the row lock and the re-checked WHERE make two concurrent runs unable to
    promise the same last unit (the second sees the first's committed units or changes nothing).
    """
    result = session.execute(
        _COMMIT_UNITS, {"level": level_seq, "units": quantity, "reserve": reserve, "at": now}
    )
    return affected_rows(result) == 1


# Built once: a run issues one per order line, and building the statement cost more than running it.
_COMMIT_UNITS = (
    update(_levels)
    .where(
        _levels.c.seq == bindparam("level"),
        _levels.c.on_hand - _levels.c.committed - bindparam("reserve") >= bindparam("units"),
    )
    .values(committed=_levels.c.committed + bindparam("units"), updated_at=bindparam("at"))
)
_commitments = cast(Table, InventoryCommitment.__table__)


def add_commitments(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_commitments.insert(), rows)


def uncommit_units(session: Session, level_seq: int, quantity: int, now: dt.datetime) -> None:
    session.execute(
        update(_levels)
        .where(_levels.c.seq == level_seq)
        .values(committed=_levels.c.committed - quantity, updated_at=now)
    )


def used_capacity(
    session: Session, location_ids: Collection[uuid.UUID], since: dt.datetime
) -> dict[uuid.UUID, int]:
    """Orders routed to each location since `since` (the start of the account's day)."""
    if not location_ids:
        return {}
    rows = session.execute(
        select(OrderBrokering.location_id, func.count())
        .where(OrderBrokering.location_id.in_(list(location_ids)), OrderBrokering.routed_at >= since)
        .group_by(OrderBrokering.location_id)
    )
    return {loc: int(n) for loc, n in rows if loc is not None}


# --- orders ----------------------------------------------------------------------------------------


def states_for(session: Session, order_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrderBrokering]:
    ids = list(order_ids)
    if not ids:
        return {}
    return {
        s.order_id: s for s in session.scalars(select(OrderBrokering).where(OrderBrokering.order_id.in_(ids)))
    }


def state_for(session: Session, order_id: uuid.UUID) -> OrderBrokering | None:
    return session.get(OrderBrokering, order_id)


def queued_batch(
    session: Session, account_id: uuid.UUID, queues: Sequence[str], *, after_seq: int, limit: int
) -> list[Order]:
    """The next pending orders in `queues`, locked. SKIP LOCKED on PostgreSQL: a concurrent run takes
    other orders instead of waiting for these (SQLite's write transaction already serializes runs)."""
    return list(
        session.scalars(
            select(Order)
            .where(
                Order.account_id == account_id,
                Order.brokering_queue.in_(list(queues)),
                Order.status == "pending",
                Order.seq > after_seq,
            )
            .order_by(Order.seq)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Order)
        )
    )


def queue_counts(session: Session, principal: Principal) -> dict[str, int]:
    query = scoped(
        select(Order.brokering_queue, func.count()).where(Order.brokering_queue.is_not(None)), principal
    ).group_by(Order.brokering_queue)
    return {str(queue): int(n) for queue, n in session.execute(query)}


def queue_page(
    session: Session, principal: Principal, queue: str, *, after_seq: int | None, limit: int
) -> list[Order]:
    query = scoped(select(Order).where(Order.brokering_queue == queue), principal)
    if after_seq is not None:
        query = query.where(Order.seq > after_seq)
    return list(session.scalars(query.order_by(Order.seq).limit(limit)))


def orders_by_ids(
    session: Session, principal: Principal, order_ids: Sequence[uuid.UUID], external_ids: Sequence[str]
) -> list[Order]:
    found: list[Order] = []
    if order_ids:
        found += session.scalars(
            scoped(select(Order).where(Order.id.in_(list(order_ids))), principal).with_for_update()
        ).all()
    if external_ids:
        found += session.scalars(
            scoped(select(Order).where(Order.external_id.in_(list(external_ids))), principal)
            .order_by(Order.seq)
            .with_for_update()
        ).all()
    return found


def due_auto_cancels(session: Session, now: dt.datetime, limit: int) -> list[Order]:
    return list(
        session.scalars(
            select(Order)
            .join(OrderBrokering, OrderBrokering.order_id == Order.id)
            .where(
                Order.brokering_queue == "unfillable",
                OrderBrokering.auto_cancel_at.is_not(None),
                OrderBrokering.auto_cancel_at <= now,
            )
            .order_by(Order.seq)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Order)
        )
    )


def children_statuses(session: Session, parent_id: uuid.UUID) -> list[str]:
    return [str(s) for s in session.scalars(select(Order.status).where(Order.parent_order_id == parent_id))]


def children(session: Session, parent_id: uuid.UUID) -> list[Order]:
    return list(
        session.scalars(
            select(Order).where(Order.parent_order_id == parent_id).order_by(Order.seq).with_for_update()
        )
    )


def child_count(session: Session, parent_id: uuid.UUID) -> int:
    return int(session.scalar(select(func.count()).where(Order.parent_order_id == parent_id)) or 0)


# --- runs ------------------------------------------------------------------------------------------


def get_run(session: Session, account_id: uuid.UUID, run_id: uuid.UUID) -> BrokeringRun | None:
    return session.scalars(
        select(BrokeringRun).where(BrokeringRun.account_id == account_id, BrokeringRun.id == run_id)
    ).first()


def get_run_unscoped(session: Session, run_id: uuid.UUID) -> BrokeringRun | None:
    return session.scalars(select(BrokeringRun).where(BrokeringRun.id == run_id)).first()


def runs_page(
    session: Session, account_id: uuid.UUID, *, before_seq: int | None, limit: int
) -> list[BrokeringRun]:
    query = select(BrokeringRun).where(BrokeringRun.account_id == account_id)
    if before_seq is not None:
        query = query.where(BrokeringRun.seq < before_seq)
    return list(session.scalars(query.order_by(BrokeringRun.seq.desc()).limit(limit)))


def add(session: Session, row: Any) -> None:
    session.add(row)
