"""Rule evaluation of one pending order, and the routing fallbacks after the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from warpware.accounts.models import Account, SubClient
from warpware.automation.service import definitions_for
from warpware.brokering.intake import enter as enter_brokering
from warpware.brokering.intake import settings_if_enabled
from warpware.connections import repository as connections_repository
from warpware.connections.models import Connection
from warpware.connectors.registry import DESTINATION_TYPES
from warpware.kit.clock import utcnow
from warpware.orders import repository as orders_repository
from warpware.orders import service as orders_service
from warpware.orders.domain import OrderStatus
from warpware.orders.models import Order
from warpware.preorders.stage import preorder_definitions, record_preorder_hold, split_order
from warpware.products.service import discover_from_order as discover_products
from warpware.rules import NO_ROUTE_MESSAGE, Evaluation, Outcome, build_order_facts, evaluate
from warpware.shipments.service import pinned_connection
from warpware.worker import enqueue

COMPONENT = "RuleEvaluationWorker"
TEST_ORDER_TAG = "TEST_ORDER"
# The dashboard demo's orders: they go through every stage, but only ever to a sandbox warehouse
# (whatever the routing rules say), so they ship without anything reaching a real warehouse.
DEMO_ORDER_TAG = "WARPWARE_DEMO"
SANDBOX_TYPE = "sandbox"


def enqueue_evaluation(session: Session, order_ids: list[Any]) -> None:
    for order_id in order_ids:
        enqueue(session, "order.evaluate", {"order_id": str(order_id)}, ordering_key=f"order:{order_id}")


def _is_new_customer(session: Session, order: Order) -> bool | None:
    if not order.customer_email:
        return None
    earlier = session.scalar(
        select(
            exists().where(
                Order.account_id == order.account_id,
                Order.customer_email == order.customer_email,
                Order.seq < order.seq,
            )
        )
    )
    return not earlier


def _facts(session: Session, order: Order, now: dt.datetime) -> Any:
    account = session.get(Account, order.account_id)
    lines = orders_repository.lines_for(session, [order.id])[order.id]
    return build_order_facts(
        line_items=[{"sku": li.sku, "quantity": li.quantity, "price": li.price} for li in lines],
        now=now,
        shipping_address=order.shipping_address,
        tags=order.tags or [],
        source=order.source,
        customer_email=order.customer_email,
        customer_name=order.customer_name,
        metadata=order.meta or {},
        service_level=order.service_level,
        carrier=order.carrier,
        home_country=account.home_country if account else None,
        is_new_customer=_is_new_customer(session, order),
        stock=stock_for(session, order, {li.sku for li in lines}),
    )


order_facts = _facts  # brokering's approval step tests its criteria against the same facts


def stock_for(session: Session, order: Order, skus: set[str]) -> dict[str, int]:
    """Units available now per tracked SKU of the order (the client's stock over every location).

    SKUs we hold no inventory for are left out: the rules treat them as untracked, never as out of stock.
    """
    from warpware.inventory.models import InventoryLevel

    if not skus:
        return {}
    query = select(InventoryLevel.sku, func.sum(InventoryLevel.on_hand - InventoryLevel.committed)).where(
        InventoryLevel.account_id == order.account_id, InventoryLevel.sku.in_(skus)
    )
    query = query.where(
        InventoryLevel.sub_client_id.is_(None)
        if order.sub_client_id is None
        else InventoryLevel.sub_client_id == order.sub_client_id
    )
    return {sku: int(total or 0) for sku, total in session.execute(query.group_by(InventoryLevel.sku))}


def _record_rules(session: Session, order: Order, evaluation: Evaluation, now: dt.datetime) -> None:
    """Which rules matched and what each did, one timeline event per matched rule, then a summary."""
    for stage in evaluation.stages:
        for trace in stage.rules:
            if not trace.matched:
                continue
            did = "; ".join(a.describe() for a in trace.actions) or "no actions"
            orders_service.record_event(
                session,
                order,
                source="rules",
                type="rule_matched",
                component=COMPONENT,
                message=f"Rule '{trace.rule.name}' matched: {did}",
                details={
                    "rule_id": trace.rule.id,
                    "rule_name": trace.rule.name,
                    "stage": stage.stage.value,
                    "actions": [
                        {"detail": a.detail, "applied": a.applied, "reason": a.reason} for a in trace.actions
                    ],
                },
                now=now,
            )
    orders_service.record_event(
        session,
        order,
        source="rules",
        type="rules_evaluated",
        component=COMPONENT,
        message=f"Rules evaluated: {evaluation.decision.outcome.value}",
        details={"outcome": evaluation.decision.outcome.value, "messages": list(evaluation.messages())},
        now=now,
    )


def _apply_annotations(session: Session, order: Order, evaluation: Evaluation) -> None:
    decision = evaluation.decision
    if decision.tags_to_add:
        order.tags = list(dict.fromkeys([*(order.tags or []), *decision.tags_to_add]))
        # The tag filter reads order_tags, so rule tags must land there too.
        orders_repository.replace_tags(session, order, order.tags)
    if decision.service_level is not None:
        order.service_level = decision.service_level
    if decision.carrier is not None:
        order.carrier = decision.carrier
    if decision.metadata:
        order.meta = {**(order.meta or {}), **decision.metadata}


def hold(
    session: Session,
    order: Order,
    *,
    reason: str,
    actor: str,
    component: str,
    rule_id: str | None = None,
    until: dt.datetime | None = None,
) -> None:
    orders_service.change_status(
        session, order, OrderStatus.HOLD, actor=actor, component=component, reason=reason
    )
    order.hold_reason, order.held_by, order.hold_rule_id, order.hold_until = reason, actor, rule_id, until
    orders_service.record_event(
        session,
        order,
        source="hold",
        type="held",
        component=component,
        actor=actor,
        message=f"Order held by {actor}: {reason}" + (f" (until {until.isoformat()})" if until else ""),
        details={"reason": reason, "rule_id": rule_id, "hold_until": until.isoformat() if until else None},
    )
    if until is not None:
        # No ordering key: it would hold every other job of this order back until the hold ends.
        enqueue(
            session,
            "order.auto_release",
            {"order_id": str(order.id), "hold_until": until.isoformat()},
            run_at=until,
        )


def route(
    session: Session, order: Order, connection: Connection, *, assigned_by: str, actor: str, component: str
) -> None:
    order.connection_id = connection.id
    order.brokering_queue = None  # routed, by whatever means: it no longer waits for brokering
    order.route_destination_type = connection.type
    order.route_destination_label = connection.name
    order.route_assigned_by = assigned_by
    orders_service.record_event(
        session,
        order,
        source="routing",
        type="routed",
        component=component,
        actor=actor,
        message=f"Routed to {connection.name} ({connection.type}) by {assigned_by.replace('_', ' ')}",
        details={"connection_id": str(connection.id), "assigned_by": assigned_by},
    )
    orders_service.change_status(session, order, OrderStatus.READY, actor=actor, component=component)
    if TEST_ORDER_TAG in (order.tags or []):
        orders_service.record_event(
            session,
            order,
            source="push",
            type="test_order_not_sent",
            component=component,
            message="Test order (TEST_ORDER): evaluated and routed, never transmitted",
            details={},
        )
        return
    enqueue(session, "order.dispatch", {"order_id": str(order.id)}, ordering_key=f"order:{order.id}")


def demo_destination(session: Session, account_id: Any) -> Connection | None:
    """The sandbox warehouse demo orders go to: the account's default if it is one, else the oldest."""
    sandboxes = [
        c
        for c in connections_repository.for_account(session, account_id)
        if c.push_enabled and c.type == SANDBOX_TYPE
    ]
    return next((c for c in sandboxes if c.is_default), sandboxes[0] if sandboxes else None)


def fallback_connection(session: Session, order: Order) -> tuple[Connection, str] | None:
    """After the rules: the sub-client's default, the account's default, or the only push-enabled one."""
    connections = [
        c
        for c in connections_repository.for_account(session, order.account_id)
        if c.push_enabled and c.type in DESTINATION_TYPES
    ]
    if order.sub_client_id is not None:
        sub_client = session.get(SubClient, order.sub_client_id)
        if sub_client and sub_client.default_connection_id:
            match = [c for c in connections if c.id == sub_client.default_connection_id]
            if match:
                return match[0], "default"
    defaults = [c for c in connections if c.is_default]
    if defaults:
        return defaults[0], "default"
    if len(connections) == 1:
        return connections[0], "default"
    return None


def evaluate_order(session: Session, order: Order) -> Outcome | None:
    """Run the rules over a pending order and apply the decision. Idempotent: only pending orders move."""
    if order.status != OrderStatus.PENDING.value:
        return None
    now = utcnow()
    discover_products(session, order)  # SKUs new to the client's catalog become master products
    rules = [
        *definitions_for(session, order.account_id),
        *preorder_definitions(session, order.account_id, now=now),
    ]
    evaluation = evaluate(
        rules, _facts(session, order, now), skip_hold_rule_ids=tuple(order.released_hold_rules or ())
    )
    _record_rules(session, order, evaluation, now)
    _apply_annotations(session, order, evaluation)
    decision = evaluation.decision
    actor = "rules"
    if decision.split is not None:
        # The pre-order lines leave for a held child order; this order goes on without them.
        split_order(session, order, decision.split, now=now)
    if decision.blocked is not None:
        hold(
            session,
            order,
            reason=f"Blocked by territory rule '{decision.blocked.rule.name}': {decision.blocked.reason}",
            actor=actor,
            component=COMPONENT,
            rule_id=decision.blocked.rule.id,
        )
    elif decision.cancelled is not None:
        orders_service.change_status(
            session,
            order,
            OrderStatus.CANCELLED,
            actor=actor,
            component=COMPONENT,
            reason=decision.cancelled.reason,
        )
        order.cancel_reason, order.cancelled_at = decision.cancelled.reason, now
    elif decision.hold is not None:
        held = decision.hold
        # Inventory-watch holds are marked so the stock re-check job finds them (pipeline.tasks).
        by = "inventory" if held.kind.value == "inventory" else "rule"
        hold(
            session,
            order,
            reason=held.reason,
            actor=f"{by}:{held.rule.name}" if held.rule else actor,
            component=COMPONENT,
            rule_id=held.rule.id if held.rule else None,
            until=held.hold_until,
        )
        record_preorder_hold(session, order, held, now=now)
    elif DEMO_ORDER_TAG in (order.tags or []):
        sandbox = demo_destination(session, order.account_id)
        if sandbox is not None:
            route(session, order, sandbox, assigned_by="demo", actor=actor, component=COMPONENT)
        else:
            orders_service.record_event(
                session,
                order,
                source="routing",
                type="unrouted",
                component=COMPONENT,
                message="Demo order: the account has no sandbox warehouse connection to send it to",
                details={},
            )
    elif (pinned := pinned_connection(session, order)) is not None:
        # A shipment is allocated to its warehouse: it goes there whatever the routing rules say.
        route(session, order, pinned, assigned_by="shipment", actor=actor, component=COMPONENT)
    elif decision.route is not None:
        connection = connections_repository.get(
            session, order.account_id, _uuid(decision.route.connection_id)
        )
        if connection is None or connection.type not in DESTINATION_TYPES:
            orders_service.record_event(
                session,
                order,
                source="routing",
                type="route_invalid",
                component=COMPONENT,
                message=f"Routing rule '{decision.route.rule.name}' names a connection that does not exist",
                details={"connection_id": decision.route.connection_id},
            )
        else:
            route(session, order, connection, assigned_by="routing_rule", actor=actor, component=COMPONENT)
    elif (brokering := settings_if_enabled(session, order.account_id)) is not None:
        # Brokering replaces the fallbacks: the order waits in the brokering queue for a run (a
        # rule-chosen destination or a shipment's warehouse still wins, above).
        enter_brokering(session, order, brokering, now=now)
    else:
        fallback = fallback_connection(session, order)
        if fallback is not None:
            route(session, order, fallback[0], assigned_by=fallback[1], actor=actor, component=COMPONENT)
        else:
            orders_service.record_event(
                session,
                order,
                source="routing",
                type="unrouted",
                component=COMPONENT,
                message=NO_ROUTE_MESSAGE,
                details={},
            )
    order.updated_at = now
    return decision.outcome


def _uuid(value: str) -> Any:
    from warpware.kit.ids import parse_uuid

    return parse_uuid(value)
