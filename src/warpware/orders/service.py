"""Order operations as plain functions over a session. They never commit: the request or job does, once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warpware.accounts import repository as accounts_repository
from warpware.accounts.domain import Principal
from warpware.connectors.base import Address, LineItem, NormalizedOrder
from warpware.errors import NotFound, Unprocessable
from warpware.inventory import commitments as inventory_commitments
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id, parse_uuid
from warpware.orders import repository
from warpware.orders.domain import (
    API_TRANSITIONS,
    IllegalTransition,
    OrderStatus,
    can_cancel,
    transition,
)
from warpware.orders.models import Order, OrderEvent, OrderLine
from warpware.orders.schemas import OrderCreate, OrderFilters, OrderUpdate
from warpware.worker.queue import enqueue, enqueue_many

INGESTION = "OrderIngestionService"
MONEY_PLACES = Decimal("0.0001")
API_COMPONENT = "PartnerAPI"


@dataclass(frozen=True)
class IngestResult:
    external_id: str
    order: Order | None = None
    duplicate_of: Order | None = None

    @property
    def created(self) -> bool:
        return self.order is not None


def normalized_from_api(payload: OrderCreate) -> NormalizedOrder:
    address = payload.shipping_address
    return NormalizedOrder(
        external_id=payload.external_id,
        source=payload.source,
        line_items=tuple(
            LineItem(sku=li.sku, quantity=li.quantity, price=li.price, name=li.name)
            for li in payload.line_items
        ),
        shipping_address=Address(
            name=address.name,
            address1=address.address1,
            address2=address.address2 or None,
            city=address.city,
            state=address.state,
            zip=address.zip,
            country=address.country,
            phone=address.phone or None,
        ),
        customer_email=payload.customer_email,
        customer_name=payload.customer_name,
        note=payload.note,
        tags=tuple(payload.tags),
        metadata=dict(payload.metadata),
    )


def dedup_key(principal: Principal, external_id: str) -> str:
    # external_id is unique per client (account:sub-client), as the reference's client_id scopes it.
    return f"{principal.sub_client_id or '-'}|{external_id}"


def _address_dict(address: Address) -> dict[str, Any]:
    data = {
        "name": address.name,
        "address1": address.address1,
        "address2": address.address2,
        "city": address.city,
        "state": address.state,
        "zip": address.zip,
        "country": address.country,
        "phone": address.phone,
        "company": address.company,
        "email": address.email,
    }
    return {k: v for k, v in data.items() if v is not None or k in ("address2", "phone")}


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date | uuid.UUID):
        return str(value)
    return value


def _rows_for(
    principal: Principal,
    order: NormalizedOrder,
    now: dt.datetime,
    *,
    actor: str,
    channel_connection_id: uuid.UUID | None,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    order_id = new_id()
    # Money is kept to 1/10,000. A channel's unit price can be a float quotient (WooCommerce's 10.00 / 3
    # = 3.3333333333333335): round it half-even to 4 places rather than refuse the order.
    prices = [
        None if li.price is None else li.price.quantize(MONEY_PLACES, rounding=ROUND_HALF_EVEN)
        for li in order.line_items
    ]
    total = sum(
        ((p or Decimal(0)) * li.quantity for p, li in zip(prices, order.line_items, strict=True)), Decimal(0)
    )
    channel_key = (
        f"{channel_connection_id or order.source}|{order.channel_order_id}"
        if order.channel_order_id
        else None
    )
    row = {
        "id": order_id,
        "account_id": principal.account_id,
        "sub_client_id": principal.sub_client_id,
        "client_ref": principal.client_id,
        "external_id": order.external_id,
        "source": order.source,
        "status": OrderStatus.PENDING.value,
        "dedup_key": dedup_key(principal, order.external_id),
        "channel_dedup_key": channel_key,
        "channel_order_id": order.channel_order_id,
        "channel_connection_id": channel_connection_id,
        "api_connection_id": principal.integration_id,
        "customer_email": order.customer_email,
        "customer_name": order.customer_name,
        "shipping_address": _address_dict(order.shipping_address),
        "order_total": total,
        "line_count": len(order.line_items),
        "note": order.note,
        "tags": list(order.tags),
        "meta": dict(order.metadata),
        "service_level": order.service_level,
        "carrier": order.carrier,
        "retry_count": 0,
        "created_at": now,
        "updated_at": now,
    }
    lines = [
        {
            "order_id": order_id,
            "account_id": principal.account_id,
            "position": i,
            "sku": li.sku,
            "name": li.name,
            "quantity": li.quantity,
            "price": prices[i],
            "uom": li.uom,
            "channel_line_id": li.channel_line_id,
        }
        for i, li in enumerate(order.line_items)
    ]
    tags = [
        {"order_id": order_id, "tag": t, "account_id": principal.account_id}
        for t in dict.fromkeys(order.tags)
    ]
    event = {
        "order_id": order_id,
        "account_id": principal.account_id,
        "source": "lifecycle",
        "type": "received",
        "component": INGESTION,
        "message": f"Order received from {order.source}",
        "actor": actor,
        "details": {
            "source": order.source,
            "channel_connection_id": _json_safe(channel_connection_id),
            "api_connection_id": _json_safe(principal.integration_id),
            "payload": _json_safe(_payload_dict(order)),
        },
        "occurred_at": now,
    }
    return row, lines, tags, event


def _payload_dict(order: NormalizedOrder) -> dict[str, Any]:
    return {
        "external_id": order.external_id,
        "source": order.source,
        "line_items": [
            {"sku": li.sku, "name": li.name, "quantity": li.quantity, "price": li.price}
            for li in order.line_items
        ],
        "shipping_address": _address_dict(order.shipping_address),
        "customer_email": order.customer_email,
        "customer_name": order.customer_name,
        "note": order.note,
        "tags": list(order.tags),
        "metadata": order.metadata,
        "channel_order_id": order.channel_order_id,
    }


def ingest(
    session: Session,
    principal: Principal,
    orders: Sequence[NormalizedOrder],
    *,
    actor: str,
    channel_connection_id: uuid.UUID | None = None,
) -> list[IngestResult]:
    """Store new orders as pending, each with its `received` event, refusing duplicates.

    Every channel comes through here. Duplicates (same external_id for the client, or the same
    channel order id) are refused and noted on the original's timeline.
    """
    now = utcnow()
    existing = repository.find_by_dedup_keys(
        session, principal.account_id, [dedup_key(principal, o.external_id) for o in orders]
    )
    channel_keys = [
        f"{channel_connection_id or o.source}|{o.channel_order_id}" for o in orders if o.channel_order_id
    ]
    existing_channel = repository.find_by_channel_keys(session, principal.account_id, channel_keys)
    results: list[IngestResult | None] = []
    pending: list[
        tuple[int, tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]]
    ] = []
    seen: set[str] = set()
    for index, order in enumerate(orders):
        key = dedup_key(principal, order.external_id)
        channel_key = (
            f"{channel_connection_id or order.source}|{order.channel_order_id}"
            if order.channel_order_id
            else None
        )
        original = existing.get(key) or (existing_channel.get(channel_key) if channel_key else None)
        if original is not None or key in seen or (channel_key and channel_key in seen):
            results.append(IngestResult(order.external_id, duplicate_of=original))
            continue
        seen.add(key)
        if channel_key:
            seen.add(channel_key)
        results.append(None)
        pending.append(
            (
                index,
                _rows_for(principal, order, now, actor=actor, channel_connection_id=channel_connection_id),
            )
        )

    inserted = _insert_all(session, [p[1] for p in pending])
    for (index, rows), ok in zip(pending, inserted, strict=True):
        if ok:
            results[index] = IngestResult(orders[index].external_id, order=_order_from_row(rows[0]))
        else:
            # Lost a race with a concurrent insert of the same order: it is a duplicate after all.
            found = repository.find_by_dedup_keys(session, principal.account_id, [rows[0]["dedup_key"]])
            results[index] = IngestResult(
                orders[index].external_id, duplicate_of=found.get(rows[0]["dedup_key"])
            )
    final = [r for r in results if r is not None]
    for result in final:
        if result.duplicate_of is not None:
            repository.add_event(
                session,
                result.duplicate_of,
                source="lifecycle",
                type="duplicate_rejected",
                component=INGESTION,
                message=f"Duplicate of this order rejected (external_id {result.external_id})",
                actor=actor,
                details={"external_id": result.external_id},
                occurred_at=now,
            )
    created_ids = [r.order.id for r in final if r.order is not None]
    # Transactional enqueue: the evaluation job exists exactly when the order does.
    enqueue_many(session, "order.evaluate", [({"order_id": str(i)}, f"order:{i}") for i in created_ids])
    return final


def _insert_all(
    session: Session,
    batches: list[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]],
) -> list[bool]:
    if not batches:
        return []
    try:
        with session.begin_nested():
            repository.insert_orders(
                session,
                [b[0] for b in batches],
                [ln for b in batches for ln in b[1]],
                [t for b in batches for t in b[2]],
                [b[3] for b in batches],
            )
        return [True] * len(batches)
    except IntegrityError:
        pass
    outcomes = []
    for orders_row, lines, tags, event in batches:
        try:
            with session.begin_nested():
                repository.insert_orders(session, [orders_row], lines, tags, [event])
            outcomes.append(True)
        except IntegrityError:
            outcomes.append(False)
    return outcomes


def _order_from_row(row: dict[str, Any]) -> Order:
    order = Order(**row)
    return order


def get_order(session: Session, principal: Principal, order_id: str, *, for_update: bool = False) -> Order:
    """By WarpWare UUID; 404 for unknown ids and for other accounts' orders alike."""
    parsed = parse_uuid(order_id)
    order = repository.get_order(session, principal, parsed, for_update=for_update) if parsed else None
    if order is None:
        raise NotFound(f"Order {order_id} not found")
    return order


def get_order_by_external(session: Session, principal: Principal, external_id: str) -> Order:
    order = repository.get_order_by_external(session, principal, external_id)
    if order is None:
        raise NotFound(f"Order with external_id {external_id} not found")
    return order


def get_order_by_any_id(
    session: Session, principal: Principal, identifier: str, *, for_update: bool = False
) -> Order:
    """UUID or external_id, as the timeline and labels endpoints accept."""
    parsed = parse_uuid(identifier)
    order = repository.get_order(session, principal, parsed, for_update=for_update) if parsed else None
    if order is None:
        order = repository.get_order_by_external(session, principal, identifier, for_update=for_update)
    if order is None:
        raise NotFound(f"Order {identifier} not found")
    return order


def record_event(
    session: Session,
    order: Order,
    *,
    type: str,
    message: str,
    source: str = "audit",
    component: str = API_COMPONENT,
    details: dict[str, Any] | None = None,
    actor: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    repository.add_event(
        session,
        order,
        source=source,
        type=type,
        component=component,
        message=message,
        details=_json_safe(details or {}),
        actor=actor,
        occurred_at=now or utcnow(),
    )


def change_status(
    session: Session,
    order: Order,
    target: OrderStatus,
    *,
    actor: str | None,
    component: str = API_COMPONENT,
    table: dict[OrderStatus, frozenset[OrderStatus]] | None = None,
    reason: str | None = None,
    tell_destination: bool = True,
) -> None:
    """Move an order through the state machine and record the change on its timeline.

    Cancelling an order the warehouse already holds (processing) also queues the cancel there, unless
    the news came from the warehouse itself (`tell_destination=False`).
    """
    try:
        event = transition(OrderStatus(order.status), target, **({"table": table} if table else {}))
    except IllegalTransition as exc:
        raise Unprocessable(f"Cannot change status from {exc.current} to {exc.target}") from exc
    now = utcnow()
    order.status = target.value
    order.updated_at = now
    # Stock follows the order: committed when routed, released when cancelled, consumed when shipped.
    inventory_commitments.on_status_change(session, order, event.old_status, event.new_status)
    if (
        tell_destination
        and event.old_status is OrderStatus.PROCESSING
        and event.new_status is OrderStatus.CANCELLED
    ):
        enqueue(session, "order.cancel_remote", {"order_id": str(order.id)}, ordering_key=f"order:{order.id}")
    details: dict[str, Any] = {"old_status": event.old_status.value, "new_status": event.new_status.value}
    if reason:
        details["reason"] = reason
    record_event(
        session,
        order,
        type="status_changed",
        message=event.message,
        component=component,
        details=details,
        actor=actor,
        now=now,
    )
    if (
        order.parent_order_id is not None
        or order.brokering_queue is not None
        or event.new_status is OrderStatus.CANCELLED
    ):
        # A brokered split parent follows its shipments (and cancelling it cancels them); a cancelled
        # order leaves its brokering queue.
        from warpware.brokering.hooks import on_status_change  # brokering imports this module

        on_status_change(session, order, event.old_status, event.new_status)


def update_order(
    session: Session, principal: Principal, order_id: str, update: OrderUpdate, *, actor: str
) -> Order:
    order = get_order(session, principal, order_id, for_update=True)
    now = utcnow()
    fields = update.model_fields_set
    if "status" in fields and update.status is not None:
        target = OrderStatus(update.status)
        if target is OrderStatus.CANCELLED and not can_cancel(OrderStatus(order.status)):
            raise Unprocessable(f"Cannot cancel an order that is already {order.status}")
        change_status(
            session,
            order,
            target,
            actor=actor,
            table=API_TRANSITIONS,
            reason=update.hold_reason if target is OrderStatus.HOLD else None,
        )
        _apply_status_side_fields(order, target, now, hold_reason=update.hold_reason, actor=actor)
    changed: dict[str, Any] = {}
    for name in ("tracking_number", "carrier", "note"):
        if name in fields and getattr(order, name) != getattr(update, name):
            changed[name] = {"old": getattr(order, name), "new": getattr(update, name)}
            setattr(order, name, getattr(update, name))
    if "metadata" in fields and update.metadata:
        merged = {**(order.meta or {}), **update.metadata}
        if merged != order.meta:
            changed["metadata"] = {"merged": update.metadata}
            order.meta = merged
    if changed:
        order.updated_at = now
        record_event(
            session,
            order,
            type="order_updated",
            message=f"Order updated: {', '.join(changed)}",
            details=changed,
            actor=actor,
            now=now,
        )
    return order


def _apply_status_side_fields(
    order: Order, target: OrderStatus, now: dt.datetime, *, hold_reason: str | None, actor: str | None
) -> None:
    if target is OrderStatus.HOLD:
        order.hold_reason = hold_reason or "Held via API"
        order.held_by = actor
    elif order.hold_reason is not None:
        order.hold_reason = None
        order.hold_until = None
    if target is OrderStatus.SHIPPED and order.shipped_at is None:
        order.shipped_at = now
    if target is OrderStatus.DELIVERED and order.delivered_at is None:
        order.delivered_at = now
    if target is OrderStatus.CANCELLED:
        order.cancelled_at = now


def cancel_order(
    session: Session, principal: Principal, order_id: str, *, reason: str | None, actor: str
) -> Order:
    """Idempotent: cancelling a cancelled order changes nothing. Shipped or delivered orders → 422."""
    order = get_order(session, principal, order_id, for_update=True)
    status = OrderStatus(order.status)
    if status is OrderStatus.CANCELLED:
        return order
    if not can_cancel(status):
        raise Unprocessable(f"Cannot cancel an order that is already {status}")
    change_status(session, order, OrderStatus.CANCELLED, actor=actor, reason=reason)
    order.cancel_reason = reason
    _apply_status_side_fields(order, OrderStatus.CANCELLED, utcnow(), hold_reason=None, actor=actor)
    record_event(
        session,
        order,
        type="cancelled",
        source="lifecycle",
        message=f"Order cancelled{': ' + reason if reason else ''}",
        details={"reason": reason},
        actor=actor,
    )
    return order


def touch_integration(session: Session, principal: Principal) -> None:
    if principal.integration_id is not None:
        accounts_repository.touch_integration(session, principal.integration_id, utcnow())


def lines_for(session: Session, orders: Sequence[Order]) -> dict[uuid.UUID, list[OrderLine]]:
    return repository.lines_for(session, [o.id for o in orders])


def browse(
    session: Session,
    principal: Principal,
    filters: OrderFilters,
    statuses: list[str] | None,
    *,
    before_seq: int | None,
    limit: int,
) -> tuple[list[Order], int | None]:
    """A keyset page for the dashboard: the orders and the seq to continue after (None on the last page)."""
    orders = repository.list_after(
        session, principal, filters, statuses, before_seq=before_seq, limit=limit + 1
    )
    more = len(orders) > limit
    orders = orders[:limit]
    return orders, (orders[-1].seq if more and orders else None)


def status_counts(session: Session, principal: Principal, filters: OrderFilters) -> dict[str, int]:
    return repository.dashboard_counts(session, principal, filters)


def timeline(session: Session, order: Order, *, limit: int) -> tuple[list[OrderEvent], int]:
    """The order's newest `limit` events and how many there are in all."""
    return repository.events_for(session, order.id, limit=limit)


@dataclass(frozen=True)
class Related:
    parent: Order | None
    children: list[Order]


def related_orders(session: Session, principal: Principal, order: Order) -> Related:
    """The order it was split from and the orders split from it (in the caller's scope)."""
    parent = (
        repository.get_order(session, principal, order.parent_order_id) if order.parent_order_id else None
    )
    return Related(parent, repository.children_of(session, principal, order.id))
