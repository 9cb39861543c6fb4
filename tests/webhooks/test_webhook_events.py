"""Every event type fires when it should: the real pipeline against the sandbox warehouse."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from tests.conftest import Tenant, order_body
from tests.pipeline.conftest import Clock, Pipeline
from tests.webhooks.conftest import ALL_EVENTS, Hook, create_order, deliveries, register, second_key
from tests.webhooks.receiver import Receiver
from warpware.db import Database
from warpware.orders import repository as orders_repository
from warpware.orders import service as orders_service
from warpware.orders.domain import OrderStatus
from warpware.webhooks import outbox
from warpware.webhooks.models import WebhookDelivery


@pytest.fixture
def hook(pipeline: Pipeline, receiver: Receiver) -> Hook:
    return register(pipeline.tenant, receiver.url, ALL_EVENTS)


def _data(receiver: Receiver, order_id: str, event_type: str) -> list[dict[str, Any]]:
    return [
        r.payload["data"]
        for r in receiver.accepted()
        if r.event == event_type and r.payload["data"].get("id") == order_id
    ]


def test_order_through_the_pipeline_to_delivered(
    pipeline: Pipeline, hook: Hook, receiver: Receiver, clock: Clock
) -> None:
    order_id = pipeline.order("EV-FLOW")
    pipeline.run_jobs()
    assert receiver.for_order(order_id) == ["order.created", "order.status_changed", "order.status_changed"]
    clock.advance(61)  # the tracking poll: the sandbox ships on the next read
    pipeline.run_jobs()
    response = pipeline.tenant.patch(f"/partner/v1/orders/{order_id}", json={"status": "delivered"})
    assert response.status_code == 200
    pipeline.run_jobs()
    assert receiver.for_order(order_id) == [
        "order.created",
        "order.status_changed",
        "order.status_changed",
        "order.status_changed",
        "order.shipped",
        "order.status_changed",
        "order.delivered",
    ]
    changes = [
        (d["previous_status"], d["current_status"]) for d in _data(receiver, order_id, "order.status_changed")
    ]
    assert changes == [
        ("pending", "ready"),
        ("ready", "processing"),
        ("processing", "shipped"),
        ("shipped", "delivered"),
    ]
    [shipped] = _data(receiver, order_id, "order.shipped")
    assert shipped["status"] == "shipped" and shipped["carrier"] == "UPS"
    assert shipped["tracking_number"].startswith("1Z") and shipped["shipped_at"] is not None
    [delivered] = _data(receiver, order_id, "order.delivered")
    assert delivered["status"] == "delivered" and delivered["delivered_at"] is not None
    for request in receiver.accepted():
        request.verify(hook.secret, fresh=False)


def test_hold_release_and_cancel(pipeline: Pipeline, hook: Hook, receiver: Receiver) -> None:
    tenant = pipeline.tenant
    order_id = pipeline.order("EV-HOLD")
    tenant.post(f"/partner/v1/orders/{order_id}/hold", json={"reason": "Check address"})
    tenant.post(f"/partner/v1/orders/{order_id}/release")
    pipeline.run_jobs()  # released: evaluated again and sent
    cancelled_id = pipeline.order("EV-CANCEL")
    tenant.post(
        f"/partner/v1/orders/{cancelled_id}/cancel", json={"reason": "Customer requested cancellation"}
    )
    pipeline.run_jobs()
    assert receiver.for_order(order_id) == [
        "order.created",
        "order.status_changed",
        "order.held",
        "order.status_changed",
        "order.released",
        "order.status_changed",
        "order.status_changed",
    ]
    [held] = _data(receiver, order_id, "order.held")
    assert (held["hold_reason"], held["hold_until"], held["status"], held["is_held"]) == (
        "Check address",
        None,
        "hold",
        True,
    )
    [released] = _data(receiver, order_id, "order.released")
    assert released["hold_reason"] == "Check address" and released["released_by"] == f"api:{tenant.key_id}"
    assert released["status"] == "pending"
    assert receiver.for_order(cancelled_id) == ["order.created", "order.status_changed", "order.cancelled"]
    [cancelled] = _data(receiver, cancelled_id, "order.cancelled")
    assert cancelled["reason"] == cancelled["cancel_reason"] == "Customer requested cancellation"
    assert cancelled["status"] == "cancelled"


def test_rule_hold_until_is_in_the_event(pipeline: Pipeline, hook: Hook, receiver: Receiver) -> None:
    rule = {
        "name": "Wait a day",
        "stage": "hold",
        "priority": 1,
        "conditions": {"all": [{"field": "order_value", "op": "gt", "value": 1}]},
        "actions": [{"type": "hold", "reason": "Fraud review", "for_minutes": 1440}],
    }
    response = pipeline.tenant.post("/partner/v1/rules", json=rule)
    assert response.status_code == 201, response.text
    order_id = pipeline.order("EV-RULE-HOLD")
    pipeline.run_jobs()
    [held] = _data(receiver, order_id, "order.held")
    assert held["hold_reason"] == "Fraud review"
    assert held["hold_until"] is not None and held["hold_until"] == pipeline.get(order_id)["hold_until"]


def test_failed_order_and_connection_error(pipeline: Pipeline, hook: Hook, receiver: Receiver) -> None:
    good = pipeline.order("EV-GOOD")
    pipeline.run_jobs()
    failed = pipeline.order("EV-FAIL", line_items=[{"sku": "INVALID-SKU-9", "quantity": 1, "price": 5}])
    again = pipeline.order("EV-FAIL-2", line_items=[{"sku": "INVALID-SKU-8", "quantity": 1, "price": 5}])
    pipeline.run_jobs()
    assert receiver.for_order(good)[-1] == "order.status_changed"
    assert receiver.for_order(failed) == [
        "order.created",
        "order.status_changed",
        "order.status_changed",
        "order.failed",
    ]
    [event_data] = _data(receiver, failed, "order.failed")
    assert event_data["error_type"] == "validation" and "INVALID-SKU-9" in event_data["error_message"]
    assert (event_data["attempt"], event_data["will_retry"], event_data["next_attempt_at"]) == (
        1,
        False,
        None,
    )
    assert event_data["status"] == "failed"
    assert event_data["error_message"] == pipeline.get(failed)["error_message"]
    assert "order.failed" in receiver.for_order(again)
    # The connection started failing once: one connection.error for two failures in a row.
    errors = [r.payload["data"] for r in receiver.accepted() if r.event == "connection.error"]
    assert len(errors) == 1
    [error] = errors
    assert error["connection"] == {"id": pipeline.connection_id, "name": "Sandbox", "type": "sandbox"}
    assert error["operation"] == "submit" and error["error_type"] == "validation"
    assert error["last_success_at"] is not None


def test_retryable_failure_says_when_it_retries(pipeline: Pipeline, hook: Hook, receiver: Receiver) -> None:
    pipeline.sandbox.put("/_sandbox/faults", json={"error_next": 1}).raise_for_status()
    order_id = pipeline.order("EV-RETRY")
    pipeline.run_jobs()
    [failed] = _data(receiver, order_id, "order.failed")
    assert (failed["attempt"], failed["will_retry"]) == (1, True)
    assert failed["next_attempt_at"] is not None and failed["error_type"] != "validation"


def test_order_error_for_a_route_to_nowhere(pipeline: Pipeline, hook: Hook, receiver: Receiver) -> None:
    rule = {
        "name": "Nowhere",
        "stage": "routing",
        "priority": 1,
        "conditions": {"all": []},
        "actions": [{"type": "route", "connection_id": str(uuid.uuid4())}],
    }
    assert pipeline.tenant.post("/partner/v1/rules", json=rule).status_code == 201
    order_id = pipeline.order("EV-NOWHERE")
    pipeline.run_jobs()
    assert receiver.for_order(order_id) == ["order.created", "order.error"]
    [error] = _data(receiver, order_id, "order.error")
    assert error["error_type"] == "route_invalid"
    assert error["error_message"] == "Routing rule 'Nowhere' names a connection that does not exist"


def test_inventory_events_through_the_outbox(
    db: Database, tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int]
) -> None:
    hook = register(tenant, receiver.url, ["inventory.updated", "inventory.low_stock"])
    account_id = _account(db, tenant)
    assert account_id is not None
    with db.writing() as session:
        outbox.emit_event(
            session,
            account_id,
            "inventory.updated",
            {"sku": "WIDGET-RED-LG", "available": 3, "previous_available": 12},
            subject="sku:WIDGET",
        )
        outbox.emit_event(
            session,
            account_id,
            "inventory.low_stock",
            {"sku": "WIDGET-RED-LG", "available": 3, "threshold": 5},
            subject="sku:WIDGET",
        )
    run_jobs()
    assert receiver.events() == ["inventory.updated", "inventory.low_stock"]
    assert receiver.accepted()[1].payload["data"] == {"sku": "WIDGET-RED-LG", "available": 3, "threshold": 5}
    receiver.accepted()[0].verify(hook.secret)
    with pytest.raises(ValueError, match="unknown webhook event"), db.writing() as session:
        outbox.emit_event(session, account_id, "inventory.exploded", {}, subject="x")


def test_subscriptions_and_sub_client_scope(
    db: Database, tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int]
) -> None:
    east_only = register(tenant, receiver.url + "/east", ["order.cancelled"])
    account_wide = register(second_key(db, tenant, sub_client=None), receiver.url + "/all", ["order.created"])
    west = second_key(db, tenant, sub_client="warehouse-west")
    east_order = create_order(tenant)
    west_order = create_order(west)
    tenant.post(f"/partner/v1/orders/{east_order}/cancel", json={})
    west.post(f"/partner/v1/orders/{west_order}/cancel", json={})
    run_jobs()
    by_path = sorted((r.path, r.event, r.payload["data"]["id"]) for r in receiver.accepted())
    assert by_path == sorted(
        [
            ("/hooks/warpware/east", "order.cancelled", east_order),
            ("/hooks/warpware/all", "order.created", east_order),
            ("/hooks/warpware/all", "order.created", west_order),
        ]
    )
    assert {d.event for d in deliveries(db, east_only.id)} == {"order.cancelled"}
    assert len(deliveries(db, account_wide.id)) == 2


def test_nothing_is_sent_for_a_change_that_rolled_back(
    db: Database, tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int]
) -> None:
    hook = register(tenant, receiver.url, ["order.status_changed", "order.held", "order.cancelled"])
    order_id = uuid.UUID(create_order(tenant))
    with pytest.raises(RuntimeError), db.writing() as session:
        order = orders_repository.get_order_unscoped(session, order_id, for_update=True)
        assert order is not None
        orders_service.change_status(session, order, OrderStatus.HOLD, actor="test", reason="rolled back")
        raise RuntimeError("the request failed after the change")
    with db.writing() as session:  # a savepoint that rolls back takes its events with it
        order = orders_repository.get_order_unscoped(session, order_id, for_update=True)
        assert order is not None
        try:
            with session.begin_nested():
                orders_service.change_status(session, order, OrderStatus.HOLD, actor="test", reason="inner")
                raise RuntimeError("inner part failed")
        except RuntimeError:
            pass
        session.refresh(order)
        orders_service.change_status(session, order, OrderStatus.CANCELLED, actor="test", reason="kept")
    run_jobs()
    assert [(r.event, r.payload["data"].get("reason")) for r in receiver.accepted()] == [
        ("order.status_changed", "kept"),
        ("order.cancelled", "kept"),
    ]
    assert len(deliveries(db, hook.id)) == 2


@contextmanager
def _count_endpoint_queries(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM webhook_endpoints" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_bulk_ingest_reads_endpoints_once(
    db: Database, tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int]
) -> None:
    bulk = {"orders": [order_body(f"BULK-{uuid.uuid4().hex[:8]}") for _ in range(100)]}
    with _count_endpoint_queries(db) as seen:
        assert tenant.post("/partner/v1/orders/bulk", json=bulk).status_code == 207
    assert len(seen) == 1  # no endpoints: one query for the whole transaction, no rows written
    with db.reading() as session:
        assert (
            session.scalar(
                select(WebhookDelivery.id).where(WebhookDelivery.account_id == _account(db, tenant)).limit(1)
            )
            is None
        )
    hook = register(tenant, receiver.url, ["order.created"])
    bulk = {"orders": [order_body(f"BULK-{uuid.uuid4().hex[:8]}") for _ in range(100)]}
    with _count_endpoint_queries(db) as seen:
        assert tenant.post("/partner/v1/orders/bulk", json=bulk).status_code == 207
    assert len(seen) == 1
    run_jobs()
    assert receiver.events() == ["order.created"] * 100
    assert len({r.payload["data"]["id"] for r in receiver.accepted()}) == 100
    assert all(d.status == "delivered" for d in deliveries(db, hook.id))


def _account(db: Database, tenant: Tenant) -> uuid.UUID | None:
    from warpware.accounts.models import Account

    with db.reading() as session:
        return session.scalar(select(Account.id).where(Account.slug == tenant.account))


def test_inventory_changes_fire_updated_and_low_stock(
    pipeline: Pipeline, hook: Hook, receiver: Receiver
) -> None:
    tenant = pipeline.tenant
    assert tenant.post(
        "/partner/v1/inventory/levels", json={"sku": "INV-EV", "quantity_on_hand": 30}
    ).status_code in (200, 201)
    tenant.post("/partner/v1/inventory/adjust", json={"sku": "INV-EV", "adjustment": -5, "reason": "damaged"})
    tenant.post(
        "/partner/v1/inventory/adjust", json={"sku": "INV-EV", "adjustment": -10, "reason": "recount"}
    )
    pipeline.run_jobs()
    events = [(r.event, r.payload["data"]) for r in receiver.accepted() if r.event.startswith("inventory.")]
    assert [(e, d["previous_quantity"], d["quantity_available"]) for e, d in events] == [
        ("inventory.updated", 0, 30),
        ("inventory.updated", 30, 25),
        ("inventory.updated", 25, 15),
        ("inventory.low_stock", 25, 15),  # crossed the default threshold of 20
    ]
    assert events[-1][1]["threshold"] == 20
