"""Every query on orders, their lines, tags, timeline and idempotency records. Always tenant-scoped."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, Table, bindparam, delete, exists, func, insert, select, union
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.orders.models import IdempotencyRecord, Order, OrderEvent, OrderLine, OrderTag
from warpware.orders.schemas import OrderFilters
from warpware.webhooks import outbox as webhooks_outbox


def scoped(query: Any, principal: Principal) -> Any:
    """Tenant isolation: the account, and the sub-client when the key is bound to one."""
    query = query.where(Order.account_id == principal.account_id)
    if principal.sub_client_id is not None:
        query = query.where(Order.sub_client_id == principal.sub_client_id)
    return query


# The hottest reads are built once: SQLAlchemy then reuses their cache keys and compiled forms
# instead of rebuilding and hashing a new statement on every request.
_ORDER_BY_ID = select(Order).where(
    Order.id == bindparam("order_id"), Order.account_id == bindparam("account_id")
)
_ORDER_BY_ID_IN_SUB_CLIENT = _ORDER_BY_ID.where(Order.sub_client_id == bindparam("sub_client_id"))
_LINES_OF_ORDERS = (
    select(OrderLine)
    .where(OrderLine.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(OrderLine.order_id, OrderLine.position)
)


def get_order(
    session: Session, principal: Principal, order_id: uuid.UUID, *, for_update: bool = False
) -> Order | None:
    if for_update:
        query = scoped(select(Order), principal).where(Order.id == order_id).with_for_update()
        return session.scalars(query).one_or_none()
    params: dict[str, Any] = {"order_id": order_id, "account_id": principal.account_id}
    if principal.sub_client_id is None:
        return session.scalars(_ORDER_BY_ID, params).one_or_none()
    params["sub_client_id"] = principal.sub_client_id
    return session.scalars(_ORDER_BY_ID_IN_SUB_CLIENT, params).one_or_none()


def get_order_by_external(
    session: Session, principal: Principal, external_id: str, *, for_update: bool = False
) -> Order | None:
    # Newest first: after a duplicate flag was cleared, the re-ingested order is the one meant.
    query = scoped(select(Order), principal).where(Order.external_id == external_id)
    query = query.order_by(Order.seq.desc()).limit(1)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def get_order_unscoped(session: Session, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
    """For workers, which act on an order by id after loading its job (the job carries the tenant)."""
    query = select(Order).where(Order.id == order_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


_ORDERS_BY_DEDUP_KEYS = select(Order).where(
    Order.account_id == bindparam("account_id"), Order.dedup_key.in_(bindparam("keys", expanding=True))
)
_ORDERS_BY_CHANNEL_KEYS = select(Order).where(
    Order.account_id == bindparam("account_id"),
    Order.channel_dedup_key.in_(bindparam("keys", expanding=True)),
)


def find_by_dedup_keys(session: Session, account_id: uuid.UUID, keys: Sequence[str]) -> dict[str, Order]:
    if not keys:
        return {}
    rows = session.scalars(_ORDERS_BY_DEDUP_KEYS, {"account_id": account_id, "keys": list(keys)})
    return {o.dedup_key: o for o in rows if o.dedup_key is not None}


def find_by_channel_keys(session: Session, account_id: uuid.UUID, keys: Sequence[str]) -> dict[str, Order]:
    if not keys:
        return {}
    rows = session.scalars(_ORDERS_BY_CHANNEL_KEYS, {"account_id": account_id, "keys": list(keys)})
    return {o.channel_dedup_key: o for o in rows if o.channel_dedup_key is not None}


# Table-level inserts skip the ORM's bulk-insert bookkeeping, which cost more than the SQL itself on
# every ingest; rows are written by attribute name, so the few attributes named unlike their column
# (Order.meta is the "metadata" column) are renamed first.
def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_INSERT_ORDERS = insert(_table(Order))
_INSERT_LINES = insert(_table(OrderLine))
_INSERT_TAGS = insert(_table(OrderTag))
_INSERT_EVENTS = insert(_table(OrderEvent))


def _renamed_attributes(model: type[Any]) -> dict[str, str]:
    return {
        attribute.key: attribute.columns[0].key
        for attribute in sa_inspect(model).column_attrs
        if attribute.key != attribute.columns[0].key
    }


_RENAMED = {model: _renamed_attributes(model) for model in (Order, OrderLine, OrderTag, OrderEvent)}


def _by_column(model: type[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    renamed = _RENAMED[model]
    if not renamed:
        return rows
    return [{renamed.get(key, key): value for key, value in row.items()} for row in rows]


def insert_orders(
    session: Session,
    orders: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    tags: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> None:
    """Core executemany inserts: one round trip per table however many orders come in."""
    session.execute(_INSERT_ORDERS, _by_column(Order, orders))
    if lines:
        session.execute(_INSERT_LINES, _by_column(OrderLine, lines))
    if tags:
        session.execute(_INSERT_TAGS, _by_column(OrderTag, tags))
    if events:
        session.execute(_INSERT_EVENTS, _by_column(OrderEvent, events))
        webhooks_outbox.emit_for_inserted_orders(session, orders, events)


def lines_for(session: Session, order_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[OrderLine]]:
    ids = list(order_ids)
    result: dict[uuid.UUID, list[OrderLine]] = {i: [] for i in ids}
    if not ids:
        return result
    for line in session.scalars(_LINES_OF_ORDERS, {"order_ids": ids}):
        result[line.order_id].append(line)
    return result


def add_line(session: Session, line: OrderLine) -> None:
    session.add(line)


def delete_line(session: Session, line: OrderLine) -> None:
    session.delete(line)


def children_of(session: Session, principal: Principal, order_id: uuid.UUID) -> list[Order]:
    """Orders split off this one (pre-order or brokering splits), oldest first."""
    query = scoped(select(Order), principal).where(Order.parent_order_id == order_id)
    return list(session.scalars(query.order_by(Order.seq)))


def oldest_in_status(session: Session, principal: Principal, status: str) -> Order | None:
    """The order longest in `status` (by its last change), e.g. the oldest ready order."""
    query = scoped(select(Order), principal).where(Order.status == status)
    return session.scalars(query.order_by(Order.updated_at, Order.seq).limit(1)).first()


def stuck_orders(
    session: Session, principal: Principal, statuses: Sequence[str], before: dt.datetime, *, limit: int
) -> list[Order]:
    """Orders in `statuses` unchanged since `before`, longest-stuck first (ix_orders_account_updated)."""
    query = scoped(select(Order), principal).where(Order.status.in_(statuses), Order.updated_at < before)
    return list(session.scalars(query.order_by(Order.updated_at, Order.seq).limit(limit)))


def latest_seq(session: Session, principal: Principal) -> int:
    """The newest order's seq in scope (0 when there is none): orders made later have a higher one."""
    return int(session.scalar(scoped(select(func.max(Order.seq)), principal)) or 0)


def tagged_after(
    session: Session, principal: Principal, tag: str, after_seq: int, *, limit: int
) -> list[Order]:
    """Orders newer than `after_seq` carrying `tag`, oldest first (a range on ix_orders_account_seq)."""
    query = scoped(select(Order), principal).where(
        Order.seq > after_seq,
        exists().where(
            OrderTag.order_id == Order.id, OrderTag.tag == tag, OrderTag.account_id == principal.account_id
        ),
    )
    return list(session.scalars(query.order_by(Order.seq).limit(limit)))


def created_per_hour_by_status(
    session: Session, principal: Principal, since: dt.datetime
) -> list[tuple[dt.datetime, str, int]]:
    """(hour, current status, orders) for orders created at or after `since`, by UTC hour.

    A range on ix_orders_account_created; the hour is cut in SQL so only the counts come back.
    """
    if session.get_bind().dialect.name == "postgresql":
        hour: Any = func.date_trunc("hour", func.timezone("UTC", Order.created_at))
    else:
        hour = func.strftime("%Y-%m-%d %H:00:00", Order.created_at)
    query = scoped(select(hour, Order.status, func.count()).select_from(Order), principal)
    query = query.where(Order.created_at >= since).group_by(hour, Order.status)
    rows = []
    for value, status, n in session.execute(query):
        at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        rows.append((at.replace(tzinfo=dt.UTC), str(status), int(n)))
    return rows


def replace_tags(session: Session, order: Order, tags: list[str]) -> None:
    session.execute(delete(OrderTag).where(OrderTag.order_id == order.id))
    if tags:
        session.execute(
            insert(OrderTag), [{"order_id": order.id, "tag": t, "account_id": order.account_id} for t in tags]
        )


def _filtered(
    query: Select[Any], principal: Principal, filters: OrderFilters, statuses: list[str] | None
) -> Select[Any]:
    query = scoped(query, principal)
    query = query.where(Order.archived_at.is_not(None) if filters.archived else Order.archived_at.is_(None))
    if filters.source:
        query = query.where(Order.source == filters.source)
    if filters.connection_id:
        query = query.where(Order.connection_id == filters.connection_id)
    if filters.search:
        query = query.where(Order.seq.in_(_search_matches(principal, filters.search)))
    if statuses:
        query = query.where(Order.status.in_(statuses))
    if filters.external_id:
        query = query.where(Order.external_id == filters.external_id)
    if filters.tracking_number:
        query = query.where(Order.tracking_number == filters.tracking_number)
    if filters.tag:
        query = query.where(
            exists().where(
                OrderTag.order_id == Order.id,
                OrderTag.tag == filters.tag,
                OrderTag.account_id == principal.account_id,
            )
        )
    if filters.date_from:
        query = query.where(Order.created_at >= filters.date_from)
    if filters.date_to:
        query = query.where(Order.created_at <= filters.date_to)
    if filters.updated_since:
        query = query.where(Order.updated_at >= filters.updated_since)
    return query


def _search_matches(principal: Principal, term: str) -> Any:
    """The seqs of orders whose external id, tracking number, SKU, email or name is `term`.

    A UNION of indexed lookups (not one OR), so every branch uses its own index at a million orders.
    """
    term = term.strip()
    lowered = term.lower()
    account = Order.account_id == principal.account_id
    return union(
        select(Order.seq).where(account, Order.external_id == term),
        select(Order.seq).where(account, Order.tracking_number == term),
        select(Order.seq).where(account, func.lower(Order.customer_email) == lowered),
        select(Order.seq).where(account, func.lower(Order.customer_name) == lowered),
        select(Order.seq)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.account_id == principal.account_id, OrderLine.sku == term, account),
    )


def list_page(
    session: Session,
    principal: Principal,
    filters: OrderFilters,
    statuses: list[str] | None,
    *,
    page: int,
    per_page: int,
) -> tuple[list[Order], int]:
    base = _filtered(select(Order), principal, filters, statuses)
    total = (
        session.scalar(_filtered(select(func.count()).select_from(Order), principal, filters, statuses)) or 0
    )
    orders = list(
        session.scalars(base.order_by(Order.seq.desc()).offset((page - 1) * per_page).limit(per_page))
    )
    return orders, int(total)


def list_after(
    session: Session,
    principal: Principal,
    filters: OrderFilters,
    statuses: list[str] | None,
    *,
    before_seq: int | None,
    limit: int,
) -> list[Order]:
    """Keyset page: orders strictly older than `before_seq` (newest first); None starts at the newest."""
    query = _filtered(select(Order), principal, filters, statuses)
    if before_seq is not None:
        query = query.where(Order.seq < before_seq)
    return list(session.scalars(query.order_by(Order.seq.desc()).limit(limit)))


def count_by_status(
    session: Session, principal: Principal, *, date_from: dt.datetime | None, date_to: dt.datetime | None
) -> dict[str, int]:
    query = scoped(select(Order.status, func.count()).select_from(Order), principal)
    if date_from:
        query = query.where(Order.created_at >= date_from)
    if date_to:
        query = query.where(Order.created_at <= date_to)
    return {status: int(n) for status, n in session.execute(query.group_by(Order.status))}


def dashboard_counts(session: Session, principal: Principal, filters: OrderFilters) -> dict[str, int]:
    """Orders per status (archived ones apart, under "archived"), under the same filters as the list."""
    live = filters.model_copy(update={"archived": False})
    gone = filters.model_copy(update={"archived": True})
    if filters.narrows():
        by_status: Any = select(Order.status, func.count()).select_from(Order)
        counted = _filtered(by_status, principal, live, None)
        counts = {status: int(n) for status, n in session.execute(counted.group_by(Order.status))}
    else:
        # Unfiltered: all orders per status (an index-only count) less the few archived ones.
        everything = scoped(select(Order.status, func.count()).select_from(Order), principal)
        counts = {status: int(n) for status, n in session.execute(everything.group_by(Order.status))}
        status_query: Any = select(Order.status, func.count()).select_from(Order)
        archived_by_status = _filtered(status_query, principal, gone, None).group_by(Order.status)
        for status, n in session.execute(archived_by_status):
            counts[status] = counts.get(status, 0) - int(n)
    archived = _filtered(select(func.count()).select_from(Order), principal, gone, None)
    counts["archived"] = int(session.scalar(archived) or 0)
    return counts


def add_event(session: Session, order: Order, **fields: Any) -> None:
    session.add(OrderEvent(order_id=order.id, account_id=order.account_id, **fields))
    webhooks_outbox.emit_for_timeline_event(session, order, fields)


def events_for(session: Session, order_id: uuid.UUID, *, limit: int) -> tuple[list[OrderEvent], int]:
    events = list(
        session.scalars(
            select(OrderEvent)
            .where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.id.desc())
            .limit(limit)
        )
    )
    total = session.scalar(
        select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order_id)
    )
    return events, int(total or 0)


def idempotency_record(session: Session, account_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
    return session.get(IdempotencyRecord, (account_id, key))


def delete_idempotency_record(session: Session, record: IdempotencyRecord) -> None:
    session.delete(record)
    session.flush()
