"""The pipeline through the Partner API: rules, holds, routing, dispatch, tracking, retries, health."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

from sqlalchemy import select

from tests.conftest import Tenant, order_body
from tests.pipeline.conftest import Clock, Pipeline
from warpware.connections.models import Connection
from warpware.db import Database

HOLD_OVER_50 = {
    "name": "High value",
    "stage": "hold",
    "priority": 10,
    "conditions": {"all": [{"field": "order_value", "op": "gt", "value": 50}]},
    "actions": [{"type": "hold", "reason": "Order over $50"}],
}


def test_order_flows_pending_to_shipped(pipeline: Pipeline, clock: Clock) -> None:
    order_id = pipeline.order("FLOW-1")
    pipeline.run_jobs()
    order = pipeline.get(order_id)
    assert order["status"] == "processing"
    assert order["route_destination_type"] == "sandbox"
    assert order["route_destination_label"] == "Sandbox"
    assert order["route_assigned_by"] == "default"
    assert order["connection_id"] == pipeline.connection_id
    assert order["processed_at"] is not None
    # The sandbox is shared by the session: look for this order's reference only.
    remote = [
        o for o in pipeline.sandbox.get("/_sandbox/orders").json()["orders"] if o["referenceNum"] == order_id
    ]
    assert [o["createAttempts"] for o in remote] == [1]
    clock.advance(61)
    pipeline.run_jobs()
    tracking = pipeline.tenant.get(f"/partner/v1/orders/{order_id}/tracking").json()["data"]
    assert tracking["status"] == "shipped"
    assert tracking["order_id"] == order_id and tracking["external_id"] == "FLOW-1"
    assert tracking["carrier"] == "UPS" and tracking["tracking_number"].startswith("1Z")
    assert tracking["extensiv_status"] == "closed"
    assert tracking["shipped_at"] is not None
    assert pipeline.types(order_id) == [
        "received",
        "rules_evaluated",
        "routed",
        "status_changed",
        "push_success",
        "status_changed",
        "status_changed",
        "tracking_received",
    ]


def test_rule_hold_release_and_not_held_again_by_same_rule(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    assert tenant.post("/partner/v1/rules", json=HOLD_OVER_50).status_code == 201
    order_id = pipeline.order("HOLD-1")  # 2 × 29.99 = 59.98
    pipeline.run_jobs()
    order = pipeline.get(order_id)
    assert (order["status"], order["is_held"], order["hold_reason"]) == ("hold", True, "Order over $50")
    events = pipeline.events(order_id)
    matched = [e for e in events if e["type"] == "rule_matched"]
    assert matched[0]["message"] == "Rule 'High value' matched: hold (Order over $50)"
    held = [e for e in events if e["type"] == "held"][0]
    assert held["actor"] == "rule:High value"
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "hold"  # a held order never advances

    # A second hold rule added later still applies after a person releases the first.
    second = {
        **HOLD_OVER_50,
        "name": "Big quantity",
        "priority": 20,
        "conditions": {"all": [{"field": "total_quantity", "op": "gte", "value": 2}]},
        "actions": [{"type": "hold", "reason": "Two or more units"}],
    }
    assert tenant.post("/partner/v1/rules", json=second).status_code == 201
    released = tenant.post(f"/partner/v1/orders/{order_id}/release")
    assert released.status_code == 200 and released.json()["data"]["status"] == "pending"
    pipeline.run_jobs()
    order = pipeline.get(order_id)
    assert (order["status"], order["hold_reason"]) == ("hold", "Two or more units")
    tenant.post(f"/partner/v1/orders/{order_id}/release")
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "processing"
    release_events = [e for e in pipeline.events(order_id) if e["type"] == "released"]
    assert [e["actor"] for e in release_events] == [f"api:{tenant.key_id}"] * 2


def test_manual_hold_and_release(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    order_id = pipeline.order("MH-1")
    response = tenant.post(f"/partner/v1/orders/{order_id}/hold", json={"reason": "Check address"})
    assert response.status_code == 200
    assert response.json()["data"]["hold_reason"] == "Check address"
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "hold"
    assert tenant.post(f"/partner/v1/orders/{order_id}/hold", json={"reason": "again"}).status_code == 422
    tenant.post(f"/partner/v1/orders/{order_id}/release")
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "processing"
    assert (
        tenant.post(f"/partner/v1/orders/{order_id}/hold", json={}).json()["detail"]
        == "Only orders not yet sent can be held; this order is processing"
    )
    assert tenant.post(f"/partner/v1/orders/{order_id}/release").status_code == 422


def test_routing_rule_picks_connection(pipeline: Pipeline, sandbox_server: object) -> None:
    tenant = pipeline.tenant
    other = tenant.post(
        "/partner/v1/connections",
        json={
            "name": "West DC",
            "type": "sandbox",
            "settings": {"base_url": pipeline.sandbox.base_url.__str__()},
        },
    ).json()["data"]
    rule = {
        "name": "West coast",
        "stage": "routing",
        "priority": 1,
        "conditions": {"all": [{"field": "state", "op": "in", "value": ["CA", "WA", "OR"]}]},
        "actions": [{"type": "route", "connection_id": other["id"]}],
    }
    assert tenant.post("/partner/v1/rules", json=rule).status_code == 201
    west = pipeline.order(
        "R-WEST",
        shipping_address={"name": "A", "address1": "1 Elm", "city": "Seattle", "state": "WA", "zip": "98101"},
    )
    east = pipeline.order("R-EAST")
    pipeline.run_jobs()
    assert (pipeline.get(west)["connection_id"], pipeline.get(west)["route_assigned_by"]) == (
        other["id"],
        "routing_rule",
    )
    assert (pipeline.get(east)["connection_id"], pipeline.get(east)["route_assigned_by"]) == (
        pipeline.connection_id,
        "default",
    )


def test_no_route_stays_pending_then_manual_assignment(
    db: Database, tenant: Tenant, sandbox: object, sandbox_server: object, run_jobs: object
) -> None:
    order_id = tenant.post("/partner/v1/orders", json=order_body("NR-1")).json()["data"]["id"]
    run_jobs()  # type: ignore[operator]
    order = tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]
    assert order["status"] == "pending"
    events = tenant.get(f"/partner/v1/orders/{order_id}/timeline").json()["data"]["events"]
    assert "No routing rule matched" in [e["message"] for e in events]
    # Two connections, no default: still no route by itself.
    ids = [
        tenant.post(
            "/partner/v1/connections",
            json={"name": f"C{i}", "type": "sandbox", "settings": {"base_url": sandbox_server.url}},
        ).json()["data"]["id"]
        for i in range(2)
    ]  # type: ignore[attr-defined]
    response = tenant.post(f"/partner/v1/orders/{order_id}/assign", json={"connection_id": ids[1]})
    assert response.status_code == 200 and response.json()["data"]["status"] == "ready"
    run_jobs()  # type: ignore[operator]
    order = tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]
    assert (order["status"], order["route_assigned_by"], order["connection_id"]) == (
        "processing",
        "manual",
        ids[1],
    )
    assert (
        tenant.post(
            f"/partner/v1/orders/{order_id}/assign", json={"connection_id": str(uuid.uuid4())}
        ).status_code
        == 422
    )


def test_test_orders_are_never_transmitted(pipeline: Pipeline) -> None:
    order_id = pipeline.order("T-1", tags=["TEST_ORDER"])
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "ready"
    assert "test_order_not_sent" in pipeline.types(order_id)
    assert "push_success" not in pipeline.types(order_id)
    assert json.dumps(pipeline.sandbox.get("/_sandbox/orders").json()).count(order_id) == 0


def test_validation_failure_waits_for_a_person_then_retry(pipeline: Pipeline) -> None:
    order_id = pipeline.order("V-1", line_items=[{"sku": "INVALID-SKU", "quantity": 1, "price": 5}])
    pipeline.run_jobs()
    order = pipeline.get(order_id)
    assert (order["status"], order["retry_count"], order["error_category"]) == ("failed", 1, "validation")
    assert "INVALID-SKU" in str(order["error_message"]) or order["error_message"]
    assert pipeline.types(order_id)[-2:] == ["push_failed", "order.failed"]
    pipeline.sandbox.put("/_sandbox/faults", json={"invalid_sku_prefix": None}).raise_for_status()
    retried = pipeline.tenant.post(f"/partner/v1/orders/{order_id}/retry")
    assert retried.status_code == 200 and retried.json()["data"]["retry_count"] == 0
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "processing"
    assert pipeline.tenant.post(f"/partner/v1/orders/{order_id}/retry").status_code == 422


def test_clear_duplicate_flag_allows_reingest(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    first = pipeline.order("DUP-1")
    assert tenant.post("/partner/v1/orders", json=order_body("DUP-1")).status_code == 409
    assert tenant.post(f"/partner/v1/orders/{first}/clear-duplicate").json()["data"]["duplicate_flag_cleared"]
    again = tenant.post("/partner/v1/orders", json=order_body("DUP-1"))
    assert again.status_code == 201
    assert (
        tenant.get("/partner/v1/orders/by-external/DUP-1").json()["data"]["id"] == again.json()["data"]["id"]
    )
    assert tenant.post(f"/partner/v1/orders/{first}/clear-duplicate").status_code == 422


def test_health(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    held = pipeline.order("H-1")
    tenant.post(f"/partner/v1/orders/{held}/hold", json={"reason": "x"})
    failed = pipeline.order("H-2", line_items=[{"sku": "INVALID-1", "quantity": 1}])
    pipeline.order("H-3")
    pipeline.run_jobs()
    health = tenant.get("/partner/v1/health").json()["data"]
    assert (health["failed"], health["held"]) == (1, 1)
    [connection] = health["connections"]
    assert connection["last_hour"] == {"calls": 2, "errors": 1, "error_rate": 0.5}
    assert connection["last_error"] and failed


def test_tracking_hook_signed(db: Database, pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    hooked = tenant.post(
        "/partner/v1/connections",
        json={
            "name": "Hooked",
            "type": "sandbox",
            "settings": {"base_url": str(pipeline.sandbox.base_url)},
            "credentials": {"webhook_secret": "s3cret-value"},
        },
    ).json()["data"]
    assert "credentials" not in hooked and hooked["has_credentials"] is True
    with db.reading() as session:
        stored = session.scalar(
            select(Connection.credentials_encrypted).where(Connection.id == uuid.UUID(hooked["id"]))
        )
    assert stored and "s3cret-value" not in stored
    order_id = pipeline.order("HK-1")
    tenant.post(f"/partner/v1/orders/{order_id}/hold", json={})
    tenant.post(f"/partner/v1/orders/{order_id}/release")
    # Route by hand to the hooked connection while pending.
    pipeline.tenant.post(f"/partner/v1/orders/{order_id}/hold", json={})
    body = json.dumps(
        {
            "reference": order_id,
            "status": "shipped",
            "carrier": "FedEx",
            "tracking_number": "123456789012",
            "raw_status": "Shipped",
        }
    ).encode()
    signature = "sha256=" + hmac.new(b"s3cret-value", body, hashlib.sha256).hexdigest()
    url = f"/hooks/connections/{hooked['id']}/tracking"
    bad = tenant.client.post(
        url, content=body, headers={"Content-Type": "application/json", "X-WarpWare-Signature": "sha256=00"}
    )
    assert bad.status_code == 401
    # Not this connection's order yet: 404.
    assert (
        tenant.client.post(
            url, content=body, headers={"Content-Type": "application/json", "X-WarpWare-Signature": signature}
        ).status_code
        == 404
    )
    tenant.post(f"/partner/v1/orders/{order_id}/release")
    tenant.post(f"/partner/v1/orders/{order_id}/assign", json={"connection_id": hooked["id"]})
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] in ("processing", "pending")
    if pipeline.get(order_id)["status"] == "pending":
        tenant.post(f"/partner/v1/orders/{order_id}/assign", json={"connection_id": hooked["id"]})
        pipeline.run_jobs()
    ok = tenant.client.post(
        url, content=body, headers={"Content-Type": "application/json", "X-WarpWare-Signature": signature}
    )
    assert ok.status_code == 200, ok.text
    order = pipeline.get(order_id)
    assert (order["status"], order["carrier"], order["tracking_number"]) == (
        "shipped",
        "FedEx",
        "123456789012",
    )


def test_rule_tags_are_filterable(pipeline: Pipeline) -> None:
    rule = {
        "name": "Tag VIPs",
        "stage": "automation",
        "conditions": {"all": [{"field": "tags", "op": "contains", "value": "vip"}]},
        "actions": [{"type": "add_tag", "tag": "priority"}],
    }
    assert pipeline.tenant.post("/partner/v1/rules", json=rule).status_code == 201
    order_id = pipeline.order("TAG-1")
    pipeline.run_jobs()
    assert pipeline.get(order_id)["tags"] == ["vip", "priority"]
    found = pipeline.tenant.get("/partner/v1/orders?tag=priority").json()["data"]
    assert [o["id"] for o in found] == [order_id]


def test_inventory_watch_hold_releases_when_stock_arrives(pipeline: Pipeline) -> None:
    from warpware.worker import enqueue

    tenant = pipeline.tenant
    rule = {"name": "Stock watch", "stage": "hold", "actions": [{"type": "hold_until_in_stock"}]}
    assert tenant.post("/partner/v1/rules", json=rule).status_code == 201
    assert tenant.post(
        "/partner/v1/inventory/levels", json={"sku": "WIDGET-RED-LG", "quantity_on_hand": 1}
    ).status_code in (200, 201)
    order_id = pipeline.order("STOCK-1")  # needs 2
    pipeline.run_jobs()
    order = pipeline.get(order_id)
    assert order["status"] == "hold"
    assert order["hold_reason"] == "Waiting for stock: WIDGET-RED-LG (need 2, have 1)"
    assert order["held_by"] == "inventory:Stock watch"

    def recheck() -> None:
        db = pipeline.run_jobs.__closure__[0].cell_contents  # type: ignore[union-attr]
        with db.writing() as session:
            enqueue(session, "orders.recheck_stock_holds", {})
        pipeline.run_jobs()

    recheck()
    assert pipeline.get(order_id)["status"] == "hold"
    tenant.post(
        "/partner/v1/inventory/adjust", json={"sku": "WIDGET-RED-LG", "adjustment": 5, "reason": "PO"}
    )
    recheck()
    assert pipeline.get(order_id)["status"] == "processing"
    assert [e["actor"] for e in pipeline.events(order_id) if e["type"] == "released"] == ["inventory watch"]
