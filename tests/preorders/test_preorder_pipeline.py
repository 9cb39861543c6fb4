"""Stored pre-order rules in the pipeline: hold entire, split into a held child, release, release dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select

from tests.conftest import Tenant, order_body
from tests.pipeline.conftest import Clock, Pipeline
from warpware.db import Database
from warpware.orders.models import Order, OrderTag
from warpware.preorders.models import OrderSplit

PRE = {"sku": "DWP2-PPCN85HC", "quantity": 1, "price": 40}
REGULAR = {"sku": "WIDGET-RED-LG", "quantity": 2, "price": 29.99}


def _rule(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"sku": "DWP2-PPCN85HC", "name": "Devil Wears Prada 2 Bucket", **fields}
    response = tenant.post("/partner/v1/preorder-rules", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _counts(tenant: Tenant, rule_id: str) -> tuple[int, int]:
    data = tenant.get(f"/partner/v1/preorder-rules/{rule_id}").json()["data"]
    return data["orders_held_count"], data["orders_released_count"]


def _sent(sandbox: httpx.Client) -> dict[str, list[tuple[str, int]]]:
    """External id → (sku, qty) lines of every order the sandbox warehouse received."""
    orders = sandbox.get("/_sandbox/orders").json()["orders"]
    return {
        o["received"]["poNum"]: [(i["itemIdentifier"]["sku"], i["qty"]) for i in o["received"]["orderItems"]]
        for o in orders
    }


def test_hold_entire_holds_release_sends_through_pipeline(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    rule = _rule(tenant, hold_mode="hold_entire")
    held_id = pipeline.order("PO-HOLD-1", line_items=[REGULAR, PRE])
    free_id = pipeline.order("PO-FREE-1", line_items=[REGULAR])
    pipeline.run_jobs()
    held = pipeline.get(held_id)
    assert (held["status"], held["is_held"], held["hold_reason"]) == (
        "hold",
        True,
        "Pre-order SKU DWP2-PPCN85HC: Devil Wears Prada 2 Bucket",
    )
    assert held["tags"] == ["vip", "Pre-Order-SKU"]
    assert pipeline.get(free_id)["status"] == "processing"
    assert _counts(tenant, rule["id"]) == (1, 0)
    assert list(_sent(pipeline.sandbox)) == ["PO-FREE-1"]
    listed = tenant.get("/partner/v1/preorder-rules").json()["data"]
    assert [(r["orders_held_count"], r["orders_released_count"]) for r in listed] == [(1, 0)]

    response = tenant.post(f"/partner/v1/preorder-rules/{rule['id']}/release")
    assert response.json()["data"] == {
        "rule_id": rule["id"],
        "sku": "DWP2-PPCN85HC",
        "status": "released",
        "orders_released": 1,
    }
    assert pipeline.get(held_id)["status"] == "pending"
    assert _counts(tenant, rule["id"]) == (0, 1)
    pipeline.run_jobs()
    assert pipeline.get(held_id)["status"] == "processing"
    assert _sent(pipeline.sandbox)["PO-HOLD-1"] == [("WIDGET-RED-LG", 2), ("DWP2-PPCN85HC", 1)]
    assert _counts(tenant, rule["id"]) == (0, 1)
    assert pipeline.types(held_id) == [
        "received",
        "rule_matched",
        "rules_evaluated",
        "status_changed",
        "held",
        "status_changed",
        "released",
        "rules_evaluated",
        "routed",
        "status_changed",
        "push_success",
        "status_changed",
    ]
    released_event = [e for e in pipeline.events(held_id) if e["type"] == "released"][0]
    assert released_event["actor"] == f"api:{tenant.key_id}"
    # A new order with the SKU after the release is not held.
    later = pipeline.order("PO-HOLD-2", line_items=[PRE])
    pipeline.run_jobs()
    assert pipeline.get(later)["status"] == "processing"


def test_split_moves_preorder_lines_to_held_child(db: Database, pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    rule = _rule(tenant, hold_mode="split")
    parent_id = pipeline.order("PO-SPLIT-1", line_items=[REGULAR, PRE, {"sku": "GADGET-XL", "quantity": 3}])
    pipeline.run_jobs()

    parent = pipeline.get(parent_id)
    assert parent["status"] == "processing"
    assert [(li["sku"], li["quantity"]) for li in parent["line_items"]] == [
        ("WIDGET-RED-LG", 2),
        ("GADGET-XL", 3),
    ]
    assert (parent["line_count"], parent["order_total"]) == (2, 59.98)
    child_ref = tenant.get("/partner/v1/orders/by-external/PO-SPLIT-1.1").json()["data"]
    child = pipeline.get(child_ref["id"])
    assert (child["external_id"], child["status"], child["hold_reason"]) == (
        "PO-SPLIT-1.1",
        "hold",
        "Pre-order SKU DWP2-PPCN85HC: Devil Wears Prada 2 Bucket",
    )
    assert [(li["sku"], li["quantity"], li["price"]) for li in child["line_items"]] == [
        ("DWP2-PPCN85HC", 1, 40)
    ]
    assert (child["line_count"], child["order_total"], child["tags"]) == (1, 40, ["vip", "Pre-Order-SKU"])
    assert (child["shipping_address"], child["customer_email"]) == (
        parent["shipping_address"],
        "jane@example.com",
    )
    assert _sent(pipeline.sandbox) == {"PO-SPLIT-1": [("WIDGET-RED-LG", 2), ("GADGET-XL", 3)]}
    assert _counts(tenant, rule["id"]) == (1, 0)

    with db.reading() as session:
        stored_child = session.scalars(select(Order).where(Order.external_id == "PO-SPLIT-1.1")).one()
        assert str(stored_child.parent_order_id) == parent_id
        [split] = session.scalars(
            select(OrderSplit).where(OrderSplit.child_order_id == stored_child.id)
        ).all()
        assert (str(split.parent_order_id), split.rule_ref, split.rule_name) == (
            parent_id,
            rule["id"],
            "Devil Wears Prada 2 Bucket",
        )
        assert split.lines == [
            {"sku": "DWP2-PPCN85HC", "name": None, "quantity": 1, "price": "40", "parent_position": 1}
        ]
        tags = session.scalars(select(OrderTag.tag).where(OrderTag.order_id == stored_child.id)).all()
        assert sorted(tags) == ["Pre-Order-SKU", "vip"]
    # Both orders the pre-order touched carry the tag (public docs: "added to affected orders"), newest first.
    found = tenant.get("/partner/v1/orders?tag=Pre-Order-SKU").json()["data"]
    assert [o["external_id"] for o in found] == ["PO-SPLIT-1.1", "PO-SPLIT-1"]

    parent_split = [e for e in pipeline.events(parent_id) if e["type"] == "split"]
    child_split = [e for e in pipeline.events(child["id"]) if e["type"] == "split"]
    assert parent_split[0]["message"] == (
        "Pre-order lines (DWP2-PPCN85HC ×1) moved to held child order PO-SPLIT-1.1; the rest goes on"
    )
    assert (
        child_split[0]["message"]
        == "Split from order PO-SPLIT-1: pre-order lines (DWP2-PPCN85HC ×1) held here"
    )
    assert parent_split[0]["details"] == child_split[0]["details"]
    assert parent_split[0]["details"]["child_order_id"] == child["id"]
    assert pipeline.types(child["id"]) == ["received", "split", "status_changed", "held"]

    released = tenant.post(f"/partner/v1/preorder-rules/{rule['id']}/release").json()["data"]
    assert released["orders_released"] == 1
    pipeline.run_jobs()
    assert pipeline.get(child["id"])["status"] == "processing"
    assert _sent(pipeline.sandbox)["PO-SPLIT-1.1"] == [("DWP2-PPCN85HC", 1)]
    assert _counts(tenant, rule["id"]) == (0, 1)


def test_split_with_every_line_preorder_holds_entire_order(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    rule = _rule(tenant, hold_mode="split")
    order_id = pipeline.order("PO-ALL-1", line_items=[PRE, {**PRE, "quantity": 2}])
    pipeline.run_jobs()
    order = pipeline.get(order_id)
    assert (order["status"], order["line_count"]) == ("hold", 2)
    assert tenant.get("/partner/v1/orders/by-external/PO-ALL-1.1").status_code == 404
    assert "split" not in pipeline.types(order_id)
    assert _counts(tenant, rule["id"]) == (1, 0)


def test_two_split_rules_share_one_child_and_numbering_skips_taken_ids(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    _rule(tenant, hold_mode="split")
    second = _rule(tenant, sku="SUMMER-24", name="Summer", hold_mode="split")
    pipeline.order("PO-TWO-1.1", line_items=[REGULAR])  # the client already uses the first child id
    parent_id = pipeline.order("PO-TWO-1", line_items=[PRE, REGULAR, {"sku": "SUMMER-24", "quantity": 1}])
    pipeline.run_jobs()
    child = tenant.get("/partner/v1/orders/by-external/PO-TWO-1.2").json()["data"]
    assert [li["sku"] for li in child["line_items"]] == ["DWP2-PPCN85HC", "SUMMER-24"]
    assert [li["sku"] for li in pipeline.get(parent_id)["line_items"]] == ["WIDGET-RED-LG"]
    # Releasing the rule that did not hold the child releases nothing; the child waits for both.
    assert (
        tenant.post(f"/partner/v1/preorder-rules/{second['id']}/release").json()["data"]["orders_released"]
        == 0
    )
    assert child["status"] == "hold"


def test_release_date_releases_rule_and_orders(pipeline: Pipeline, clock: Clock) -> None:
    tenant = pipeline.tenant
    tomorrow = (clock.now + dt.timedelta(days=1)).date()
    rule = _rule(tenant, hold_mode="hold_entire", release_date=tomorrow.isoformat())
    order_id = pipeline.order("PO-DATE-1", line_items=[PRE])
    pipeline.run_jobs()
    order = pipeline.get(order_id)
    assert (order["status"], order["hold_until"]) == ("hold", f"{tomorrow.isoformat()}T00:00:00Z")
    assert order["hold_reason"] == (
        f"Pre-order SKU DWP2-PPCN85HC: Devil Wears Prada 2 Bucket (releases {tomorrow.isoformat()})"
    )
    clock.now = dt.datetime.combine(tomorrow, dt.time.min, tzinfo=dt.UTC) + dt.timedelta(seconds=1)
    pipeline.run_jobs()
    data = tenant.get(f"/partner/v1/preorder-rules/{rule['id']}").json()["data"]
    assert (data["status"], data["orders_held_count"], data["orders_released_count"]) == ("released", 0, 1)
    assert pipeline.get(order_id)["status"] == "processing"
    assert list(_sent(pipeline.sandbox)) == ["PO-DATE-1"]


def test_cancelled_held_order_counts_as_neither(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    rule = _rule(tenant)
    order_id = pipeline.order("PO-CXL-1", line_items=[PRE])
    pipeline.run_jobs()
    assert _counts(tenant, rule["id"]) == (1, 0)
    assert tenant.post(f"/partner/v1/orders/{order_id}/cancel", json={}).status_code == 200
    assert _counts(tenant, rule["id"]) == (0, 0)
    assert (
        tenant.post(f"/partner/v1/preorder-rules/{rule['id']}/release").json()["data"]["orders_released"] == 0
    )


def test_rules_hold_only_their_own_accounts_orders(pipeline: Pipeline, other_tenant: Tenant) -> None:
    rule = _rule(pipeline.tenant)
    response = other_tenant.post("/partner/v1/orders", json=order_body("PO-OTHER-1", line_items=[PRE]))
    other_id = response.json()["data"]["id"]
    pipeline.run_jobs()
    other = other_tenant.get(f"/partner/v1/orders/{other_id}").json()["data"]
    assert (other["status"], other["hold_reason"]) == ("pending", None)  # no connection of its own, not held
    assert _counts(pipeline.tenant, rule["id"]) == (0, 0)
