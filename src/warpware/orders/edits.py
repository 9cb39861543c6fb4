"""What a person changes on an order before it is sent: its shipping address and its lines; archiving.

The rules of which states allow what are in domain.py (EDITABLE, ARCHIVABLE). Every change is
recorded on the timeline with who made it and each field's value before and after. Nothing here
commits: the request does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.errors import Unprocessable
from warpware.inventory import commitments as inventory_commitments
from warpware.kit.clock import utcnow
from warpware.orders import repository
from warpware.orders.domain import ARCHIVABLE, EDITABLE, OrderStatus
from warpware.orders.models import Order, OrderLine
from warpware.orders.schemas import AddressIn, LineItemIn
from warpware.orders.service import MONEY_PLACES, get_order, record_event

COMPONENT = "Dashboard"
ADDRESS_FIELDS = ("name", "company", "address1", "address2", "city", "state", "zip", "country", "phone")


@dataclass(frozen=True)
class LineEdit:
    """One line as the edit form sends it (raw text, checked here): an existing line's id or None."""

    line_id: int | None
    sku: str
    name: str
    quantity: str
    price: str


def _first_error(exc: ValidationError, what: str) -> Unprocessable:
    error = exc.errors()[0]
    field = ".".join(str(p) for p in error["loc"]) or what
    return Unprocessable(f"{what}: {field} — {error['msg']}")


def _editable(session: Session, principal: Principal, order_id: str, what: str) -> Order:
    order = get_order(session, principal, order_id, for_update=True)
    status = OrderStatus(order.status)
    if status not in EDITABLE:
        allowed = ", ".join(sorted(s.value for s in EDITABLE))
        raise Unprocessable(
            f"The {what} can be edited only before the order is sent ({allowed}); this order is {status}"
        )
    return order


def _shown(value: Any) -> str:
    return "(empty)" if value in (None, "") else str(value)


def edit_address(
    session: Session, principal: Principal, order_id: str, values: dict[str, str], *, actor: str
) -> tuple[Order, dict[str, dict[str, Any]]]:
    """Replace the shipping address's fields; returns the order and {field: {old, new}} (empty: no change)."""
    order = _editable(session, principal, order_id, "shipping address")
    company = (values.get("company") or "").strip()[:200] or None
    try:
        given = {k: (values.get(k) or "").strip() for k in AddressIn.model_fields}
        parsed = AddressIn.model_validate(
            given
            | {k: given[k] or None for k in ("address2", "phone")}
            | {"country": given["country"] or "US"}
        )
    except ValidationError as exc:
        raise _first_error(exc, "Shipping address") from exc
    current = dict(order.shipping_address or {})
    wanted = parsed.model_dump() | {"company": company}
    changes = {
        k: {"old": current.get(k), "new": wanted.get(k)}
        for k in ADDRESS_FIELDS
        if (current.get(k) or None) != (wanted.get(k) or None)
    }
    if not changes:
        return order, {}
    updated = {**current, **{k: wanted[k] for k in changes}}
    if updated.get("company") is None:
        updated.pop("company", None)
    order.shipping_address = updated
    order.updated_at = now = utcnow()
    record_event(
        session,
        order,
        type="address_edited",
        source="audit",
        component=COMPONENT,
        message=f"Shipping address edited by {actor}: "
        + "; ".join(f"{k} {_shown(c['old'])} → {_shown(c['new'])}" for k, c in changes.items()),
        details={"changes": changes},
        actor=actor,
        now=now,
    )
    return order, changes


def _line_values(line: OrderLine | LineItemIn) -> dict[str, Any]:
    return {"sku": line.sku, "name": line.name or None, "quantity": line.quantity, "price": line.price}


def edit_lines(
    session: Session, principal: Principal, order_id: str, edits: list[LineEdit], *, actor: str
) -> tuple[Order, dict[str, Any]]:
    """Make the order's lines exactly `edits` (lines left out are removed, id-less ones added).

    Returns the order and what changed ({} when nothing did). A line's sku, name, quantity and price
    are checked as the Partner API checks a new order's; at least one line must remain.
    """
    order = _editable(session, principal, order_id, "line items")
    if not edits:
        raise Unprocessable("An order needs at least one line item")
    if len(edits) > 500:
        raise Unprocessable("An order has at most 500 line items")
    checked: list[tuple[int | None, LineItemIn]] = []
    for number, edit in enumerate(edits, start=1):
        try:
            item = LineItemIn.model_validate(
                {
                    "sku": edit.sku,
                    "name": edit.name.strip() or None,
                    "quantity": edit.quantity.strip(),
                    "price": edit.price.strip() or None,
                }
            )
        except ValidationError as exc:
            raise _first_error(exc, f"Line {number}") from exc
        if item.price is not None:
            item = item.model_copy(update={"price": item.price.quantize(MONEY_PLACES, ROUND_HALF_EVEN)})
        checked.append((edit.line_id, item))
    lines = repository.lines_for(session, [order.id])[order.id]
    by_id = {line.id: line for line in lines}
    unknown = [i for i, _ in checked if i is not None and i not in by_id]
    if unknown:
        raise Unprocessable(f"Line {unknown[0]} is not a line of this order (reload the page)")
    kept_ids = {i for i, _ in checked if i is not None}
    changed: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    removed = [_line_values(line) for line in lines if line.id not in kept_ids]
    for line in lines:
        if line.id not in kept_ids:
            repository.delete_line(session, line)
    for position, (line_id, item) in enumerate(checked):
        new = _line_values(item)
        if line_id is None:
            repository.add_line(
                session,
                OrderLine(order_id=order.id, account_id=order.account_id, position=position, **new),
            )
            added.append(new)
            continue
        line = by_id[line_id]
        old = _line_values(line)
        fields = {k: {"old": old[k], "new": new[k]} for k in new if old[k] != new[k]}
        if fields:
            changed.append({"line_id": line_id, "sku": old["sku"], "fields": fields})
            line.sku, line.name, line.quantity, line.price = (
                new["sku"],
                new["name"],
                new["quantity"],
                new["price"],
            )
        line.position = position
    if not (changed or added or removed):
        return order, {}
    old_total = order.order_total
    order.order_total = sum(((item.price or Decimal(0)) * item.quantity for _, item in checked), Decimal(0))
    order.line_count = len(checked)
    order.updated_at = now = utcnow()
    session.flush()
    inventory_commitments.recommit(session, order)
    summary = (
        [
            f"{c['sku']} "
            + ", ".join(f"{k} {_shown(v['old'])} → {_shown(v['new'])}" for k, v in c["fields"].items())
            for c in changed
        ]
        + [f"removed {r['sku']} ×{r['quantity']}" for r in removed]
        + [f"added {a['sku']} ×{a['quantity']}" for a in added]
    )
    details: dict[str, Any] = {"changed": changed, "added": added, "removed": removed}
    if old_total != order.order_total:
        details["order_total"] = {
            "old": Decimal(old_total).quantize(MONEY_PLACES),
            "new": Decimal(order.order_total).quantize(MONEY_PLACES),
        }
    record_event(
        session,
        order,
        type="lines_edited",
        source="audit",
        component=COMPONENT,
        message=f"Line items edited by {actor}: " + "; ".join(summary),
        details=details,
        actor=actor,
        now=now,
    )
    return order, details


def archive(session: Session, principal: Principal, order_id: str, *, actor: str) -> Order:
    order = get_order(session, principal, order_id, for_update=True)
    if order.archived_at is not None:
        raise Unprocessable("This order is already archived")
    status = OrderStatus(order.status)
    if status not in ARCHIVABLE:
        raise Unprocessable(
            f"Only orders the pipeline is done with (or that wait for a person) can be archived; "
            f"this order is {status}"
        )
    order.archived_at = now = utcnow()
    record_event(
        session,
        order,
        type="archived",
        source="audit",
        component=COMPONENT,
        message=f"Order archived by {actor}",
        actor=actor,
        now=now,
    )
    return order


def unarchive(session: Session, principal: Principal, order_id: str, *, actor: str) -> Order:
    order = get_order(session, principal, order_id, for_update=True)
    if order.archived_at is None:
        raise Unprocessable("This order is not archived")
    order.archived_at = None
    record_event(
        session,
        order,
        type="unarchived",
        source="audit",
        component=COMPONENT,
        message=f"Order unarchived by {actor}",
        actor=actor,
    )
    return order
