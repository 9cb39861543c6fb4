"""Child orders brokering creates, with the pre-order split's mechanism (`<parent>.<n>` external ids,
`parent_order_id`, an `order_splits` audit row, a `split` event on both timelines).

- Shipments: a plan with several shipments makes one child per shipment, each with copies of the
  lines (and quantities) it ships; the parent keeps its lines as the customer ordered them and its
  status follows the children (hooks.follow_children).
- Line rejections: the rejected lines move (the same rows) to one new child that waits in the
  rejected queue; the order keeps the rest and stays with its location.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warpware.brokering import repository
from warpware.brokering.models import OrderBrokering
from warpware.connections.models import Connection
from warpware.kit.ids import new_id
from warpware.orders import repository as orders_repository
from warpware.orders import service as orders_service
from warpware.orders.models import Order, OrderLine
from warpware.preorders.models import OrderSplit
from warpware.preorders.stage import _child_external_id, _child_row

COMPONENT = "BrokeringService"


def _new_child(
    session: Session,
    parent: Order,
    lines: list[dict[str, Any]],
    *,
    reason: str,
    message: str,
    audit_lines: list[dict[str, Any]],
    now: dt.datetime,
) -> Order:
    external_id, dedup_key = _child_external_id(session, parent)
    child_id, split_id = new_id(), new_id()
    tags = list(parent.tags or [])
    row = _child_row(parent, child_id, external_id, dedup_key, tags, now)
    row["line_count"] = len(lines)
    row["order_total"] = sum(
        (
            (Decimal(line["price"]) if line.get("price") is not None else Decimal(0)) * line["quantity"]
            for line in lines
        ),
        Decimal(0),
    )
    received = {
        "order_id": child_id,
        "account_id": parent.account_id,
        "source": "lifecycle",
        "type": "received",
        "component": COMPONENT,
        "actor": "brokering",
        "occurred_at": now,
        "message": f"Order created by brokering from order {parent.external_id}: {message}",
        "details": {"source": parent.source, "parent_order_id": str(parent.id), "split_id": str(split_id)},
    }
    orders_repository.insert_orders(
        session,
        [row],
        [{**line, "order_id": child_id} for line in lines],
        [{"order_id": child_id, "tag": t, "account_id": parent.account_id} for t in dict.fromkeys(tags)],
        [received],
    )
    session.add(
        OrderSplit(
            id=split_id,
            account_id=parent.account_id,
            parent_order_id=parent.id,
            child_order_id=child_id,
            rule_ref=None,
            rule_name="brokering",
            reason=reason,
            lines=audit_lines,
            created_at=now,
        )
    )
    session.flush()
    child = session.scalars(select(Order).where(Order.id == child_id)).one()
    details = {
        "split_id": str(split_id),
        "parent_order_id": str(parent.id),
        "child_order_id": str(child_id),
        "child_external_id": external_id,
        "lines": audit_lines,
        "reason": reason,
    }
    for order, text in (
        (parent, f"{message} → child order {external_id}"),
        (child, f"Split from order {parent.external_id}: {message}"),
    ):
        orders_service.record_event(
            session,
            order,
            source="brokering",
            type="split",
            component=COMPONENT,
            actor="brokering",
            message=text,
            details=details,
            now=now,
        )
    return child


def _audit(sku: str, quantity: int, line: OrderLine) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "parent_position": line.position, "line_id": line.id}


def shipment_child(
    session: Session,
    parent: Order,
    parent_state: OrderBrokering,
    shipment_lines: list[tuple[OrderLine, int]],
    *,
    connection: Connection,
    location_id: uuid.UUID,
    reason: str,
    run_id: uuid.UUID | None,
    now: dt.datetime,
) -> Order:
    """One shipment of a split plan as a child order, already approved and placed at its location."""
    lines = [
        {
            "account_id": parent.account_id,
            "position": i,
            "sku": line.sku,
            "name": line.name,
            "quantity": qty,
            "price": line.price,
            "uom": line.uom,
            "channel_line_id": line.channel_line_id,
        }
        for i, (line, qty) in enumerate(shipment_lines)
    ]
    summary = ", ".join(f"{line.sku} ×{qty}" for line, qty in shipment_lines)
    child = _new_child(
        session,
        parent,
        lines,
        reason=reason,
        now=now,
        message=f"shipment of {summary} from {connection.name}",
        audit_lines=[_audit(line.sku, qty, line) for line, qty in shipment_lines],
    )
    repository.add(
        session,
        OrderBrokering(
            order_id=child.id,
            account_id=parent.account_id,
            order_type=parent_state.order_type,
            approved_at=now,
            approved_by="brokering",
            excluded_location_ids=list(parent_state.excluded_location_ids),
            location_id=location_id,
            routed_at=now,
            run_id=run_id,
            last_reason=reason,
            created_at=now,
            updated_at=now,
        ),
    )
    return child


def rejected_lines_child(
    session: Session,
    order: Order,
    state: OrderBrokering,
    rejected: list[OrderLine],
    *,
    reason: str,
    excluded: list[str],
    now: dt.datetime,
) -> Order:
    """Move rejected lines to a new child in the rejected queue; the order keeps the rest."""
    staying = [
        line for line in orders_repository.lines_for(session, [order.id])[order.id] if line not in rejected
    ]
    summary = ", ".join(f"{line.sku} ×{line.quantity}" for line in rejected)
    child = _new_child(
        session,
        order,
        [],
        reason=reason,
        now=now,
        message=f"lines rejected by the location ({summary})",
        audit_lines=[_audit(line.sku, line.quantity, line) for line in rejected],
    )
    for position, line in enumerate(rejected):
        line.order_id, line.position = child.id, position
    for position, line in enumerate(staying):
        line.position = position
    order.line_count = len(staying)
    order.order_total = sum(((li.price or Decimal(0)) * li.quantity for li in staying), Decimal(0))
    child.line_count = len(rejected)
    child.order_total = sum(((li.price or Decimal(0)) * li.quantity for li in rejected), Decimal(0))
    child.brokering_queue = "rejected"
    repository.add(
        session,
        OrderBrokering(
            order_id=child.id,
            account_id=order.account_id,
            order_type="standard",
            approved_at=now,
            approved_by="brokering",
            excluded_location_ids=excluded,
            last_reason=reason,
            created_at=now,
            updated_at=now,
        ),
    )
    orders_service.record_event(
        session,
        child,
        source="brokering",
        type="brokering_queue_changed",
        component=COMPONENT,
        actor="brokering",
        message=f"Moved to the rejected queue: {reason}",
        details={"queue": "rejected", "reason": reason},
        now=now,
    )
    return child
