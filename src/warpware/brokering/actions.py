"""What people (and locations) do to brokered orders: approve, reject, hold unfillable orders, release
parked ones, and look at the queues. Plain functions over a session; they never commit."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.brokering import repository, splits
from warpware.brokering.domain import Queue
from warpware.brokering.intake import approve_manually, event, move
from warpware.brokering.schemas import OrderSelection, RejectRequest, brokering_read
from warpware.errors import NotFound, Unprocessable
from warpware.inventory import repository as inventory_repository
from warpware.kit.clock import utcnow
from warpware.kit.ids import parse_uuid
from warpware.orders import repository as orders_repository
from warpware.orders import service as orders_service
from warpware.orders.domain import OrderStatus
from warpware.orders.models import Order

REJECTABLE = frozenset({OrderStatus.READY.value, OrderStatus.PROCESSING.value, OrderStatus.FAILED.value})


def approve(session: Session, principal: Principal, order_id: str, *, actor: str, note: str | None) -> Order:
    order = orders_service.get_order(session, principal, order_id, for_update=True)
    state = repository.state_for(session, order.id)
    if state is None or order.brokering_queue is None or order.status != OrderStatus.PENDING.value:
        raise Unprocessable("Only pending orders waiting in brokering can be approved")
    if state.approved_at is not None:
        raise Unprocessable(f"This order was already approved by {state.approved_by}")
    approve_manually(session, order, state, actor=actor, note=note, now=utcnow())
    return order


def reject(
    session: Session, principal: Principal, order_id: str, body: RejectRequest, *, actor: str
) -> dict[str, Any]:
    """The order's location rejects it, whole or some lines: its units are given back and the order (or
    a child with the rejected lines) goes to the rejected queue, to be brokered again elsewhere."""
    order = orders_service.get_order(session, principal, order_id, for_update=True)
    state = repository.state_for(session, order.id)
    if state is None or state.location_id is None or order.status not in REJECTABLE:
        raise Unprocessable(
            f"Only orders brokering placed at a location and not yet shipped can be rejected; this order is "
            f"{order.status}" + ("" if state and state.location_id else " and was not placed by brokering")
        )
    if body.location_id is not None:
        named = parse_uuid(body.location_id)
        location = inventory_repository.get_location(session, order.account_id, state.location_id)
        if named is None or named not in (state.location_id, location.connection_id if location else None):
            raise Unprocessable(f"The order is at location {state.location_id}, not {body.location_id}")
    now = utcnow()
    location_key = str(state.location_id)
    excluded = list(dict.fromkeys([*(state.excluded_location_ids or []), location_key]))
    lines = orders_repository.lines_for(session, [order.id])[order.id]
    rejected = lines
    if body.line_ids or body.skus:
        by_id = {line.id: line for line in lines}
        unknown = [str(i) for i in body.line_ids or [] if i not in by_id]
        skus = {s.casefold() for s in body.skus or []}
        unknown += [s for s in body.skus or [] if s.casefold() not in {li.sku.casefold() for li in lines}]
        if unknown:
            raise Unprocessable(f"The order has no line(s) {', '.join(unknown)}")
        rejected = [li for li in lines if li.id in set(body.line_ids or []) or li.sku.casefold() in skus]
    if len(rejected) == len(lines):
        _release_units(session, order.id, None, now)
        orders_service.change_status(
            session,
            order,
            OrderStatus.PENDING,
            actor=actor,
            component=splits.COMPONENT,
            reason=f"rejected by its location: {body.reason}",
        )
        order.connection_id = None
        order.route_destination_type = order.route_destination_label = order.route_assigned_by = None
        order.destination_order_id = order.destination_status = None
        order.error_message = order.error_category = None
        order.retry_count = 0
        state.excluded_location_ids, state.location_id, state.routed_at = excluded, None, None
        state.last_reason, state.updated_at = body.reason, now
        event(
            session,
            order,
            "rejected",
            f"Rejected by location {location_key}: {body.reason}",
            now,
            location_id=location_key,
            reason=body.reason,
            actor=actor,
        )
        move(
            session,
            order,
            Queue.REJECTED,
            f"rejected by its location ({body.reason}); it will be brokered again elsewhere",
            now,
        )
        return {
            "order_id": order.id,
            "rejected": "order",
            "queue": order.brokering_queue,
            "child_order_id": None,
        }
    wanted: dict[str, int] = defaultdict(int)
    for line in rejected:
        wanted[line.sku] += line.quantity
    _release_units(session, order.id, wanted, now)
    child = splits.rejected_lines_child(
        session, order, state, rejected, reason=body.reason, excluded=excluded, now=now
    )
    event(
        session,
        order,
        "lines_rejected",
        f"Location {location_key} rejected {', '.join(f'{li.sku} ×{li.quantity}' for li in rejected)}: "
        f"{body.reason}; those lines are brokered again as order {child.external_id}",
        now,
        location_id=location_key,
        reason=body.reason,
        child_order_id=str(child.id),
        actor=actor,
    )
    return {
        "order_id": order.id,
        "rejected": "lines",
        "queue": order.brokering_queue,
        "child_order_id": child.id,
    }


def _release_units(session: Session, order_id: uuid.UUID, skus: dict[str, int] | None, now: Any) -> None:
    """Give back the order's committed units (all of them, or `skus` quantities)."""
    for commitment in inventory_repository.active_commitments(session, order_id):
        quantity = (
            commitment.quantity if skus is None else min(commitment.quantity, skus.get(commitment.sku, 0))
        )
        if quantity <= 0:
            continue
        inventory_repository.remove_committed(session, commitment.level_seq, quantity, now, consume=False)
        if skus is not None:
            skus[commitment.sku] -= quantity
        if quantity == commitment.quantity:
            commitment.status = "released"
        else:
            commitment.quantity -= quantity  # the rest stays committed for the lines the location keeps
        commitment.updated_at = now


# --- parking ---------------------------------------------------------------------------------------


def external_ids_from_csv(text: str) -> list[str]:
    """One external id a row (first column); a first row `external_id` is a header."""
    ids = [row[0].strip() for row in csv.reader(io.StringIO(text)) if row and row[0].strip()]
    if ids and ids[0].casefold() in ("external_id", "external id", "order"):
        ids = ids[1:]
    return ids


def _select(
    session: Session, principal: Principal, selection: OrderSelection
) -> tuple[list[Order], list[str]]:
    external = list(selection.external_ids) + (external_ids_from_csv(selection.csv) if selection.csv else [])
    parsed = [(raw, parse_uuid(raw)) for raw in selection.order_ids]
    missing = [raw for raw, uid in parsed if uid is None]
    if not parsed and not external:
        raise Unprocessable("Name orders with order_ids, external_ids or csv")
    found = repository.orders_by_ids(session, principal, [u for _, u in parsed if u is not None], external)
    known_ids = {str(o.id) for o in found}
    known_ext = {o.external_id for o in found}
    missing += [raw for raw, uid in parsed if uid is not None and str(uid) not in known_ids]
    missing += [e for e in external if e not in known_ext]
    unique = list({o.id: o for o in found}.values())
    return unique, missing


def hold_unfillable(
    session: Session, principal: Principal, selection: OrderSelection, *, actor: str
) -> dict[str, Any]:
    """Unfillable parking → unfillable hold parking: auto-cancel stops; runs still try to fill them."""
    orders, missing = _select(session, principal, selection)
    now = utcnow()
    results: list[dict[str, Any]] = [{"id": m, "result": "not_found"} for m in missing]
    for order in orders:
        results.append(
            {
                "id": order.id,
                "external_id": order.external_id,
                "result": _hold_one(session, order, actor, now),
            }
        )
    moved = sum(1 for r in results if r["result"] == "moved")
    return {"moved": moved, "results": results}


def _hold_one(session: Session, order: Order, actor: str, now: Any) -> str:
    if order.brokering_queue == Queue.UNFILLABLE_HOLD.value:
        return "already_in_unfillable_hold"
    if order.brokering_queue != Queue.UNFILLABLE.value:
        return f"not_unfillable (queue {order.brokering_queue})"
    state = repository.state_for(session, order.id)
    if state is not None:
        state.auto_cancel_at, state.updated_at = None, now
    move(
        session, order, Queue.UNFILLABLE_HOLD, f"held by {actor}; it will not be cancelled automatically", now
    )
    return "moved"


def hold_one(session: Session, principal: Principal, order_id: str, *, actor: str) -> Order:
    order = orders_service.get_order(session, principal, order_id, for_update=True)
    result = _hold_one(session, order, actor, utcnow())
    if result != "moved":
        raise Unprocessable(f"Only orders in unfillable parking can be moved to unfillable hold ({result})")
    return order


def release_parked(
    session: Session, principal: Principal, selection: OrderSelection | None, *, queue: str | None, actor: str
) -> dict[str, Any]:
    """Pre-order/backorder parking → brokering queue, by hand (runs release them on their own too)."""
    now = utcnow()
    if queue is not None:
        orders = repository.queue_page(session, principal, queue, after_seq=None, limit=5000)
        missing: list[str] = []
    elif selection is not None:
        orders, missing = _select(session, principal, selection)
    else:
        raise Unprocessable("Name orders (order_ids, external_ids, csv) or a queue")
    results: list[dict[str, Any]] = [{"id": m, "result": "not_found"} for m in missing]
    for order in orders:
        if order.brokering_queue not in (Queue.PREORDER.value, Queue.BACKORDER.value):
            results.append(
                {
                    "id": order.id,
                    "external_id": order.external_id,
                    "result": f"not_parked (queue {order.brokering_queue})",
                }
            )
            continue
        move(
            session, order, Queue.BROKERING, f"released from {order.brokering_queue} parking by {actor}", now
        )
        results.append({"id": order.id, "external_id": order.external_id, "result": "released"})
    return {"released": sum(1 for r in results if r["result"] == "released"), "results": results}


def queue_counts(session: Session, principal: Principal) -> dict[str, int]:
    counts = repository.queue_counts(session, principal)
    return {q.value: counts.get(q.value, 0) for q in Queue}


def queue_orders(
    session: Session, principal: Principal, queue: str, *, after_seq: int | None, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    if queue not in {q.value for q in Queue}:
        raise NotFound(f"Queue {queue} not found; queues are {', '.join(q.value for q in Queue)}")
    orders = repository.queue_page(session, principal, queue, after_seq=after_seq, limit=limit + 1)
    next_seq = orders[limit - 1].seq if len(orders) > limit else None
    orders = orders[:limit]
    states = repository.states_for(session, [o.id for o in orders])
    lines = orders_repository.lines_for(session, [o.id for o in orders])
    return [brokering_read(o, states.get(o.id), lines[o.id]) for o in orders], next_seq


def order_state(session: Session, principal: Principal, order_id: str) -> dict[str, Any]:
    order = orders_service.get_order_by_any_id(session, principal, order_id)
    lines = orders_repository.lines_for(session, [order.id])[order.id]
    return brokering_read(order, repository.state_for(session, order.id), lines)
