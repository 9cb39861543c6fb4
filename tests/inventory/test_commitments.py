"""Committed stock follows orders through the pipeline against the sandbox warehouse: committed when
routed, released when cancelled, consumed when shipped, moved when re-routed."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.inventory.conftest import Clock, Pipeline, sandbox_connection, set_level
from warpware.db import Database
from warpware.inventory.models import InventoryCommitment
from warpware.orders import repository as orders_repository
from warpware.pipeline.evaluation import evaluate_order


def _level(pipeline: Pipeline, sku: str, warehouse: str = "Sandbox") -> tuple[int, int, int]:
    rows = [
        r
        for r in pipeline.tenant.get(f"/partner/v1/inventory?sku={sku}").json()["data"]
        if r["warehouse"] == warehouse
    ]
    [row] = rows
    return row["quantity_on_hand"], row["quantity_committed"], row["quantity_available"]


def _commitments(db: Database, order_id: str) -> list[tuple[str, int, str]]:
    with db.reading() as session:
        rows = session.scalars(
            select(InventoryCommitment)
            .where(InventoryCommitment.order_id == uuid.UUID(order_id))
            .order_by(InventoryCommitment.id)
        )
        return [(c.sku, c.quantity, c.status) for c in rows]


def test_routed_order_commits_and_shipping_consumes(db: Database, pipeline: Pipeline, clock: Clock) -> None:
    set_level(pipeline.tenant, "WIDGET-RED-LG", 10, "Sandbox")
    order_id = pipeline.order("COMMIT-1")  # 2 × WIDGET-RED-LG
    assert _level(pipeline, "WIDGET-RED-LG") == (10, 0, 10)  # pending: nothing committed yet
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "processing"
    assert _level(pipeline, "WIDGET-RED-LG") == (10, 2, 8)
    assert _commitments(db, order_id) == [("WIDGET-RED-LG", 2, "committed")]
    clock.advance(61)
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "shipped"
    assert _level(pipeline, "WIDGET-RED-LG") == (8, 0, 8)
    assert _commitments(db, order_id) == [("WIDGET-RED-LG", 2, "consumed")]


def test_cancel_releases(db: Database, pipeline: Pipeline) -> None:
    set_level(pipeline.tenant, "WIDGET-RED-LG", 10, "Sandbox")
    order_id = pipeline.order("COMMIT-2")
    pipeline.run_jobs()
    assert _level(pipeline, "WIDGET-RED-LG") == (10, 2, 8)
    response = pipeline.tenant.post(f"/partner/v1/orders/{order_id}/cancel", json={"reason": "Changed mind"})
    assert response.status_code == 200
    assert _level(pipeline, "WIDGET-RED-LG") == (10, 0, 10)
    assert _commitments(db, order_id) == [("WIDGET-RED-LG", 2, "released")]
    pipeline.run_jobs()  # the remote cancel changes nothing more
    assert _level(pipeline, "WIDGET-RED-LG") == (10, 0, 10)


def test_patch_shipped_consumes_and_patch_cancel_releases(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    set_level(tenant, "MUG", 5, "Sandbox")
    shipped = pipeline.order("PATCH-1", line_items=[{"sku": "MUG", "quantity": 1}])
    cancelled = pipeline.order("PATCH-2", line_items=[{"sku": "MUG", "quantity": 2}])
    pipeline.run_jobs()
    assert _level(pipeline, "MUG") == (5, 3, 2)
    assert tenant.patch(f"/partner/v1/orders/{shipped}", json={"status": "shipped"}).status_code == 200
    assert _level(pipeline, "MUG") == (4, 2, 2)
    assert tenant.patch(f"/partner/v1/orders/{cancelled}", json={"status": "cancelled"}).status_code == 200
    assert _level(pipeline, "MUG") == (4, 0, 4)


def test_reassigning_a_failed_order_moves_the_commitment(db: Database, pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    west = sandbox_connection(tenant, str(pipeline.sandbox.base_url), "West DC")
    set_level(tenant, "INVALID-1", 4, "Sandbox")
    set_level(tenant, "INVALID-1", 6, "West DC")
    # The sandbox refuses SKUs starting INVALID-: a validation failure waits for a person.
    order_id = pipeline.order("MOVE-1", line_items=[{"sku": "INVALID-1", "quantity": 3}])
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "failed"
    assert (_level(pipeline, "INVALID-1", "Sandbox"), _level(pipeline, "INVALID-1", "West DC")) == (
        (4, 3, 1),
        (6, 0, 6),
    )
    response = tenant.post(f"/partner/v1/orders/{order_id}/assign", json={"connection_id": west})
    assert response.status_code == 200, response.text
    assert (_level(pipeline, "INVALID-1", "Sandbox"), _level(pipeline, "INVALID-1", "West DC")) == (
        (4, 0, 4),
        (6, 3, 3),
    )
    assert _commitments(db, order_id) == [("INVALID-1", 3, "released"), ("INVALID-1", 3, "committed")]
    # A retry to the same warehouse keeps the one commitment.
    pipeline.run_jobs()
    tenant.post(f"/partner/v1/orders/{order_id}/retry")
    assert _level(pipeline, "INVALID-1", "West DC") == (6, 3, 3)
    assert _commitments(db, order_id) == [("INVALID-1", 3, "released"), ("INVALID-1", 3, "committed")]


def test_held_order_keeps_its_units_until_cancelled(db: Database, pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    set_level(tenant, "WIDGET-RED-LG", 10, "Sandbox")
    order_id = pipeline.order("HOLD-KEEP")
    # Evaluate it here, so it is routed (ready) and a person can hold it before the dispatch job runs.
    with db.writing() as session:
        order = orders_repository.get_order_unscoped(session, uuid.UUID(order_id), for_update=True)
        assert order is not None
        evaluate_order(session, order)
    assert pipeline.get(order_id)["status"] == "ready"
    assert _level(pipeline, "WIDGET-RED-LG") == (10, 2, 8)
    assert tenant.post(f"/partner/v1/orders/{order_id}/hold", json={"reason": "Check"}).status_code == 200
    assert _level(pipeline, "WIDGET-RED-LG") == (10, 2, 8)
    assert tenant.post(f"/partner/v1/orders/{order_id}/cancel").status_code == 200
    assert _level(pipeline, "WIDGET-RED-LG") == (10, 0, 10)
    pipeline.run_jobs()  # the queued evaluation and dispatch find a cancelled order and do nothing
    assert _level(pipeline, "WIDGET-RED-LG") == (10, 0, 10)
    assert _commitments(db, order_id) == [("WIDGET-RED-LG", 2, "released")]


def test_test_orders_hold_no_stock_and_add_no_products(db: Database, pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    set_level(tenant, "WIDGET-RED-LG", 10, "Sandbox")
    order_id = pipeline.order(
        "TEST-1",
        tags=["TEST_ORDER"],
        line_items=[{"sku": "WIDGET-RED-LG", "quantity": 2}, {"sku": "SAMPLE-9", "quantity": 1}],
    )
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "ready"  # routed, never sent
    assert _level(pipeline, "WIDGET-RED-LG") == (10, 0, 10)
    assert _commitments(db, order_id) == []
    assert tenant.get("/partner/v1/products/SAMPLE-9").status_code == 404
