"""The pre-order stage's side of evaluation: stored rules as engine definitions, holds, and splits.

`pipeline.evaluation.evaluate_order` calls these. The engine decides (hold the whole order, or split
the pre-order lines off); this module records which rule held which order, and performs a split: the
pre-order lines move to a new child order `<external_id>.<n>` that is held, while the parent goes on.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.kit.ids import new_id, parse_uuid
from warpware.orders import repository as orders_repository
from warpware.orders import service as orders_service
from warpware.orders.domain import OrderStatus
from warpware.orders.models import Order, OrderLine
from warpware.preorders import repository
from warpware.preorders.models import OrderSplit, PreorderRule
from warpware.rules import PREORDER_TAG, Held, HoldKind, Preorder, RuleDefinition, Split, Stage

COMPONENT = "PreOrderService"


def hold_reason(rule: PreorderRule) -> str:
    label = f"Pre-order SKU {rule.sku}" + (f": {rule.name}" if rule.name != rule.sku else "")
    return label + (f" (releases {rule.release_date.isoformat()})" if rule.release_date else "")


def definition(rule: PreorderRule) -> RuleDefinition:
    """A stored pre-order rule as the engine's pre-order stage takes it."""
    release_at = repository.release_moment(rule.release_date) if rule.release_date else None
    action = Preorder(
        skus=(rule.sku,),
        mode="split" if rule.hold_mode == "split" else "hold_entire",
        reason=hold_reason(rule),
        release_at=release_at,
    )
    return RuleDefinition(name=rule.name, stage=Stage.PREORDER, actions=(action,), id=str(rule.id))


def preorder_definitions(
    session: Session, account_id: uuid.UUID, *, now: dt.datetime
) -> list[RuleDefinition]:
    """The account's holding pre-order rules (shared-locked until the evaluation commits)."""
    return [definition(r) for r in repository.active_for_account(session, account_id, now=now, lock=True)]


def _rule_of(session: Session, account_id: uuid.UUID, rule_ref: str | None) -> PreorderRule | None:
    parsed = parse_uuid(rule_ref) if rule_ref else None
    return repository.get(session, account_id, parsed) if parsed else None


def record_preorder_hold(session: Session, order: Order, held: Held, *, now: dt.datetime) -> None:
    """Remember that a stored pre-order rule held this whole order (its counts come from these rows)."""
    if held.kind is not HoldKind.PREORDER:
        return
    rule = _rule_of(session, order.account_id, held.rule.id)
    if rule is not None:
        repository.add_hold(session, rule, order, mode="hold_entire", now=now)


def _child_external_id(session: Session, parent: Order) -> tuple[str, str]:
    """`<parent>.<n>`: n counts this parent's splits, skipping an id the client already uses."""
    scope = Principal(
        account_id=parent.account_id,
        account_slug="",
        integration_id=None,
        scopes=frozenset(),
        sub_client_id=parent.sub_client_id,
    )
    number = len(repository.splits_of(session, parent.id)) + 1
    while True:
        external_id = f"{parent.external_id}.{number}"
        key = orders_service.dedup_key(scope, external_id)
        if not orders_repository.find_by_dedup_keys(session, parent.account_id, [key]):
            return external_id, key
        number += 1


def _line_summary(lines: list[OrderLine]) -> str:
    return ", ".join(f"{line.sku} ×{line.quantity}" for line in lines)


def _total(lines: list[OrderLine]) -> Decimal:
    return sum(((line.price or Decimal(0)) * line.quantity for line in lines), Decimal(0))


def split_order(session: Session, parent: Order, split: Split, *, now: dt.datetime) -> Order:
    """Move the split's lines to a new held child order; the parent keeps the rest and goes on.

    Recorded three ways: an `order_splits` row (audit), a `split` event on both timelines, and the
    child's `parent_order_id`.
    """
    from warpware.pipeline.evaluation import hold  # the pipeline imports this module

    lines = orders_repository.lines_for(session, [parent.id])[parent.id]
    moving = [lines[index] for index in split.line_indices]
    staying = [line for index, line in enumerate(lines) if index not in set(split.line_indices)]
    external_id, dedup_key = _child_external_id(session, parent)
    child_id, split_id = new_id(), new_id()
    tags = list(dict.fromkeys([*(parent.tags or []), PREORDER_TAG]))
    summary = _line_summary(moving)
    audit_lines = [
        {
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity,
            "price": None if line.price is None else format(line.price, "f"),
            "parent_position": line.position,
        }
        for line in moving
    ]
    child_row = _child_row(parent, child_id, external_id, dedup_key, tags, now)
    received = {
        "order_id": child_id,
        "account_id": parent.account_id,
        "source": "lifecycle",
        "type": "received",
        "component": COMPONENT,
        "actor": "rules",
        "occurred_at": now,
        "message": f"Order created by a pre-order split of order {parent.external_id}",
        "details": {"source": parent.source, "parent_order_id": str(parent.id), "split_id": str(split_id)},
    }
    orders_repository.insert_orders(
        session,
        [child_row],
        [],
        [{"order_id": child_id, "tag": t, "account_id": parent.account_id} for t in tags],
        [received],
    )
    for position, line in enumerate(moving):
        line.order_id, line.position = child_id, position
    for position, line in enumerate(staying):
        line.position = position
    parent.line_count, parent.order_total = len(staying), _total(staying)
    session.add(
        OrderSplit(
            id=split_id,
            account_id=parent.account_id,
            parent_order_id=parent.id,
            child_order_id=child_id,
            rule_ref=split.rule.id,
            rule_name=split.rule.name,
            reason=split.reason,
            lines=audit_lines,
            created_at=now,
        )
    )
    session.flush()
    child = session.scalars(select(Order).where(Order.id == child_id)).one()
    child.line_count, child.order_total = len(moving), _total(moving)
    details: dict[str, Any] = {
        "split_id": str(split_id),
        "parent_order_id": str(parent.id),
        "parent_external_id": parent.external_id,
        "child_order_id": str(child_id),
        "child_external_id": external_id,
        "skus": list(split.skus),
        "lines": audit_lines,
        "rule_id": split.rule.id,
        "rule_name": split.rule.name,
    }
    orders_service.record_event(
        session,
        parent,
        source="preorder",
        type="split",
        component=COMPONENT,
        actor=f"rule:{split.rule.name}",
        message=f"Pre-order lines ({summary}) moved to held child order {external_id}; the rest goes on",
        details=details,
        now=now,
    )
    orders_service.record_event(
        session,
        child,
        source="preorder",
        type="split",
        component=COMPONENT,
        actor=f"rule:{split.rule.name}",
        message=f"Split from order {parent.external_id}: pre-order lines ({summary}) held here",
        details=details,
        now=now,
    )
    hold(
        session,
        child,
        reason=split.reason,
        actor=f"rule:{split.rule.name}",
        component=COMPONENT,
        rule_id=split.rule.id,
        until=split.hold_until,
    )
    rule = _rule_of(session, parent.account_id, split.rule.id)
    if rule is not None:
        repository.add_hold(session, rule, child, mode="split", now=now)
    return child


def _child_row(
    parent: Order, child_id: uuid.UUID, external_id: str, dedup_key: str, tags: list[str], now: dt.datetime
) -> dict[str, Any]:
    """The child carries the parent's customer, address and channel (so tracking writes back to the
    same channel order), but not its channel dedup key, which stays the parent's alone."""
    return {
        "id": child_id,
        "account_id": parent.account_id,
        "sub_client_id": parent.sub_client_id,
        "client_ref": parent.client_ref,
        "external_id": external_id,
        "source": parent.source,
        "status": OrderStatus.PENDING.value,
        "dedup_key": dedup_key,
        "channel_dedup_key": None,
        "channel_order_id": parent.channel_order_id,
        "channel_connection_id": parent.channel_connection_id,
        "api_connection_id": parent.api_connection_id,
        "customer_email": parent.customer_email,
        "customer_name": parent.customer_name,
        "shipping_address": dict(parent.shipping_address or {}),
        "order_total": Decimal(0),
        "line_count": 0,
        "note": parent.note,
        "tags": tags,
        "meta": dict(parent.meta or {}),
        "service_level": parent.service_level,
        "carrier": parent.carrier,
        "retry_count": 0,
        "parent_order_id": parent.id,
        "created_at": now,
        "updated_at": now,
    }
