"""GET /inventory, POST /inventory/levels and /inventory/adjust, inventory settings: documented shapes,
statuses, filters, pagination, limits, the audit trail and tenant isolation."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Tenant, new_key
from tests.inventory.conftest import Pipeline, put_product, sandbox_connection, set_level
from warpware.db import Database
from warpware.inventory.models import InventoryAdjustment


def test_documented_list_example(pipeline: Pipeline) -> None:
    """Red Widget Large: 15 on hand at East Coast DC, an order of 3 routed there → 12 available, low."""
    tenant = pipeline.tenant
    east = sandbox_connection(tenant, str(pipeline.sandbox.base_url), "East Coast DC")
    tenant.patch(f"/partner/v1/connections/{east}", json={"is_default": True})
    put_product(tenant, "WIDGET-RED-LG", name="Red Widget Large")
    set_level(tenant, "WIDGET-RED-LG", 15, "East Coast DC")
    set_level(tenant, "OTHER-1", 500, "East Coast DC")
    pipeline.order("DOC-INV-1", line_items=[{"sku": "WIDGET-RED-LG", "quantity": 3, "price": 29.99}])
    pipeline.run_jobs()
    response = tenant.get("/partner/v1/inventory?status=low_stock&updated_since=2026-02-27T00:00:00Z")
    assert response.status_code == 200
    body = response.json()
    [row] = body["data"]
    assert row == {
        "sku": "WIDGET-RED-LG",
        "name": "Red Widget Large",
        "quantity_available": 12,
        "quantity_on_hand": 15,
        "quantity_committed": 3,
        "warehouse": "East Coast DC",
        "status": "low_stock",
        "updated_at": row["updated_at"],
    }
    assert body["meta"] == {"page": 1, "per_page": 50, "total": 1, "total_pages": 1}


def test_set_level_creates_then_updates(tenant: Tenant) -> None:
    response = tenant.post(
        "/partner/v1/inventory/levels", json={"sku": "NEW-SKU", "quantity_on_hand": 30, "warehouse": "Main"}
    )
    assert response.status_code == 201
    created = response.json()["data"]
    assert created == {
        "sku": "NEW-SKU",
        "name": "NEW-SKU",
        "quantity_available": 30,
        "quantity_on_hand": 30,
        "quantity_committed": 0,
        "warehouse": "Main",
        "status": "in_stock",
        "updated_at": created["updated_at"],
    }
    again = tenant.post(
        "/partner/v1/inventory/levels",
        json={"sku": "NEW-SKU", "quantity_on_hand": 5, "warehouse": "main", "reason": "Count"},
    )
    assert again.status_code == 200  # the warehouse name matches whatever its case
    assert again.json()["data"]["quantity_on_hand"] == 5
    # The SKU became a master product; without a warehouse the primary one (here: Main) is meant.
    assert tenant.get("/partner/v1/products/NEW-SKU").json()["data"]["inventory_count"] == 5
    assert set_level(tenant, "NEW-SKU", 7)["warehouse"] == "Main"
    for body, field in [
        ({"sku": "S", "quantity_on_hand": -1}, "quantity_on_hand"),
        ({"sku": "S", "quantity_on_hand": 1.5}, "quantity_on_hand"),
        ({"sku": "S", "quantity_on_hand": True}, "quantity_on_hand"),
        ({"sku": "", "quantity_on_hand": 1}, "sku"),
        ({"quantity_on_hand": 1}, "sku"),
        ({"sku": "S", "quantity_on_hand": 1_000_000_001}, "quantity_on_hand"),
    ]:
        bad = tenant.post("/partner/v1/inventory/levels", json=body)
        assert bad.status_code == 422, body
        assert [e["field"] for e in bad.json()["errors"]] == [field]


def test_first_level_without_warehouse_makes_a_default_location(tenant: Tenant) -> None:
    assert set_level(tenant, "D-1", 3)["warehouse"] == "Default warehouse"


def test_statuses_follow_thresholds(tenant: Tenant) -> None:
    set_level(tenant, "ZERO", 0, "W")
    set_level(tenant, "LOW", 20, "W")  # the default threshold is 20: at most 20 available is low
    set_level(tenant, "OK", 21, "W")
    put_product(tenant, "OWN", low_stock_threshold=50)
    set_level(tenant, "OWN", 40, "W")

    def statuses() -> dict[str, str]:
        return {r["sku"]: r["status"] for r in tenant.get("/partner/v1/inventory").json()["data"]}

    assert statuses() == {"ZERO": "out_of_stock", "LOW": "low_stock", "OK": "in_stock", "OWN": "low_stock"}
    assert tenant.get("/partner/v1/inventory/settings").json()["data"] == {"low_stock_threshold": 20}
    response = tenant.client.put(
        "/partner/v1/inventory/settings",
        json={"low_stock_threshold": 5},
        headers={"Authorization": f"Bearer {tenant.key}"},
    )
    assert response.json()["data"] == {"low_stock_threshold": 5}
    assert statuses() == {"ZERO": "out_of_stock", "LOW": "in_stock", "OK": "in_stock", "OWN": "low_stock"}

    def skus(query: str) -> list[str]:
        response = tenant.get(f"/partner/v1/inventory?{query}")
        assert response.status_code == 200, response.text
        return [r["sku"] for r in response.json()["data"]]

    assert skus("status=low_stock") == ["OWN"]
    assert skus("status=out_of_stock,low_stock") == ["OWN", "ZERO"]
    bad = tenant.get("/partner/v1/inventory?status=plenty")
    assert (bad.status_code, bad.json()["detail"]) == (
        400,
        "Unknown status 'plenty'; valid statuses are in_stock, low_stock, out_of_stock",
    )
    bad_setting = tenant.client.put(
        "/partner/v1/inventory/settings",
        json={"low_stock_threshold": -1},
        headers={"Authorization": f"Bearer {tenant.key}"},
    )
    assert bad_setting.status_code == 422


def test_filters_and_pagination(tenant: Tenant) -> None:
    put_product(tenant, "RED-1", name="Red Widget")
    set_level(tenant, "RED-1", 10, "East")
    set_level(tenant, "RED-1", 11, "West")
    put_product(tenant, "BLUE-1", name="Blue Gadget")
    set_level(tenant, "BLUE-1", 12, "East")

    def rows(query: str) -> list[tuple[str, str]]:
        response = tenant.get(f"/partner/v1/inventory?{query}")
        assert response.status_code == 200, response.text
        return [(r["sku"], r["warehouse"]) for r in response.json()["data"]]

    assert rows("") == [("BLUE-1", "East"), ("RED-1", "West"), ("RED-1", "East")]
    assert rows("sku=RED-1") == [("RED-1", "West"), ("RED-1", "East")]
    assert rows("search=widget") == [("RED-1", "West"), ("RED-1", "East")]
    assert rows("search=blue-") == [("BLUE-1", "East")]
    assert rows("updated_since=2999-01-01") == []
    page = tenant.get("/partner/v1/inventory?per_page=2&page=2").json()
    assert page["meta"] == {"page": 2, "per_page": 2, "total": 3, "total_pages": 2}
    first = tenant.get("/partner/v1/inventory?per_page=2&after=").json()
    assert first["meta"]["has_more"] is True and first["meta"]["cursor_mode"] is True
    rest = tenant.get(f"/partner/v1/inventory?per_page=2&after={first['meta']['next_cursor']}").json()
    assert [r["sku"] for r in first["data"] + rest["data"]] == ["BLUE-1", "RED-1", "RED-1"]
    assert rest["meta"] == {"per_page": 2, "next_cursor": None, "has_more": False, "cursor_mode": True}
    assert tenant.get("/partner/v1/inventory?per_page=0").status_code == 400
    assert tenant.get("/partner/v1/inventory?after=%%%").status_code == 400


def test_documented_adjust_example_and_audit(db: Database, tenant: Tenant) -> None:
    set_level(tenant, "WIDGET-RED-L", 8, "East Coast DC")
    response = tenant.post(
        "/partner/v1/inventory/adjust",
        json={"sku": "WIDGET-RED-L", "adjustment": -3, "reason": "Damaged in receiving"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "sku": "WIDGET-RED-L",
            "previous_quantity": 8,
            "adjustment": -3,
            "new_quantity": 5,
            "reason": "Damaged in receiving",
        },
        "meta": {},
    }
    added = tenant.post(
        "/partner/v1/inventory/adjust",
        json={"sku": "WIDGET-RED-L", "adjustment": 10, "warehouse": "East Coast DC"},
    )
    assert added.json()["data"] == {
        "sku": "WIDGET-RED-L",
        "previous_quantity": 5,
        "adjustment": 10,
        "new_quantity": 15,
        "reason": None,
    }
    with db.reading() as session:
        audit = list(
            session.scalars(
                select(InventoryAdjustment)
                .where(
                    InventoryAdjustment.sku == "WIDGET-RED-L",
                    InventoryAdjustment.actor == f"api:{tenant.key_id}",
                )
                .order_by(InventoryAdjustment.id)
            )
        )
    assert [
        (a.kind, a.adjustment, a.previous_quantity, a.new_quantity, a.reason, str(a.integration_id))
        for a in audit
    ] == [
        ("set", 8, 0, 8, None, tenant.key_id),
        ("adjust", -3, 8, 5, "Damaged in receiving", tenant.key_id),
        ("adjust", 10, 5, 15, None, tenant.key_id),
    ]


def test_adjust_errors(tenant: Tenant, other_tenant: Tenant) -> None:
    set_level(tenant, "A-1", 2, "East")

    def adjust(body: dict[str, object], who: Tenant = tenant) -> httpx.Response:
        response: httpx.Response = who.post("/partner/v1/inventory/adjust", json=body)
        return response

    negative = adjust({"sku": "A-1", "adjustment": -3})
    assert (negative.status_code, negative.json()) == (
        422,
        {"detail": "Adjustment of -3 would leave SKU A-1 with negative inventory", "sku": "A-1"},
    )
    assert tenant.get("/partner/v1/inventory?sku=A-1").json()["data"][0]["quantity_on_hand"] == 2
    assert adjust({"sku": "A-1", "adjustment": -2}).json()["data"]["new_quantity"] == 0
    unknown = adjust({"sku": "NOPE", "adjustment": 1})
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "SKU NOPE not found")
    elsewhere = adjust({"sku": "A-1", "adjustment": 1, "warehouse": "West"})
    assert (elsewhere.status_code, elsewhere.json()["detail"]) == (404, "Warehouse West not found")
    set_level(tenant, "B-1", 1, "West")
    not_there = adjust({"sku": "A-1", "adjustment": 1, "warehouse": "West"})
    assert (not_there.status_code, not_there.json()["detail"]) == (404, "SKU A-1 not found at West")
    set_level(tenant, "A-1", 4, "West")
    ambiguous = adjust({"sku": "A-1", "adjustment": 1})
    assert (ambiguous.status_code, ambiguous.json()["detail"]) == (
        422,
        "SKU A-1 is stocked at 2 warehouses; name one in warehouse",
    )
    assert adjust({"sku": "A-1", "adjustment": 1, "warehouse": "West"}).json()["data"]["new_quantity"] == 5
    for body, field in [
        ({"sku": "A-1", "adjustment": 0}, "adjustment"),
        ({"sku": "A-1", "adjustment": 1.5}, "adjustment"),
        ({"sku": "A-1", "adjustment": "1"}, "adjustment"),
        ({"sku": "A-1", "adjustment": False}, "adjustment"),
        ({"sku": "A-1"}, "adjustment"),
        ({"adjustment": 1}, "sku"),
        ({"sku": "A-1", "adjustment": 1, "reason": "x" * 501}, "reason"),
        ({"sku": "A-1", "adjustment": 1, "extra": 1}, "extra"),
    ]:
        response = adjust(body)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == [field], body
    malformed = tenant.post(
        "/partner/v1/inventory/adjust", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    # Another account's SKU is unknown here.
    assert adjust({"sku": "A-1", "adjustment": 1}, other_tenant).status_code == 404
    assert other_tenant.get("/partner/v1/inventory").json()["data"] == []


def test_removal_from_oversold_stock_is_refused_but_receiving_is_not(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    set_level(tenant, "OVER-1", 1, "Sandbox")
    pipeline.order("OVER-ORDER", line_items=[{"sku": "OVER-1", "quantity": 3}])
    pipeline.run_jobs()
    [row] = tenant.get("/partner/v1/inventory?sku=OVER-1").json()["data"]
    assert (row["quantity_on_hand"], row["quantity_committed"], row["quantity_available"], row["status"]) == (
        1,
        3,
        -2,
        "out_of_stock",
    )
    assert (
        tenant.post("/partner/v1/inventory/adjust", json={"sku": "OVER-1", "adjustment": -1}).status_code
        == 422
    )
    received = tenant.post("/partner/v1/inventory/adjust", json={"sku": "OVER-1", "adjustment": 1})
    assert received.json()["data"] == {
        "sku": "OVER-1",
        "previous_quantity": -2,
        "adjustment": 1,
        "new_quantity": -1,
        "reason": None,
    }


def test_sub_client_keys_write_their_own_stock(db: Database, client: TestClient, tenant: Tenant) -> None:
    set_level(tenant, "S-1", 5, "Shared DC")
    _, west_key, west_id = new_key(db, account=tenant.account, sub_client="warehouse-west")
    west = Tenant(tenant.account, "warehouse-west", west_key, west_id, client)
    assert west.get("/partner/v1/inventory").json()["data"] == []
    assert west.post("/partner/v1/inventory/adjust", json={"sku": "S-1", "adjustment": 1}).status_code == 404
    set_level(west, "S-1", 9, "Shared DC")  # the same warehouse (locations are the account's), own stock
    assert [r["quantity_on_hand"] for r in west.get("/partner/v1/inventory").json()["data"]] == [9]
    assert [r["quantity_on_hand"] for r in tenant.get("/partner/v1/inventory").json()["data"]] == [5]


def test_order_lines_without_stock_are_not_tracked(pipeline: Pipeline) -> None:
    pipeline.order("UNTRACKED-1", line_items=[{"sku": "NO-STOCK", "quantity": 1}])
    pipeline.run_jobs()
    assert pipeline.tenant.get("/partner/v1/inventory").json()["data"] == []
