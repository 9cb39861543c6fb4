"""POST /exports and GET /exports/{id}: 202 and poll URL, rows inline once a worker ran the job, the
5,000-row limit, filters, every resource, and isolation."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update

from tests.conftest import Tenant, order_body
from warpware.accounts.domain import Principal
from warpware.app import HANDLER_MODULES
from warpware.connectors.base import Address, LineItem, NormalizedOrder
from warpware.db import Database
from warpware.orders import service as orders_service
from warpware.worker import Worker
from warpware.worker.models import jobs_table


def _run_exports(db: Database) -> int:
    """A fresh worker, as after a restart: the export exists only as rows."""
    return Worker(
        db, concurrency=2, poll_interval=0.01, handler_modules=HANDLER_MODULES, job_names={"export.run"}
    ).run_until_idle()


def _export(tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    response = tenant.post("/partner/v1/exports", json=body)
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


def test_orders_export_documented_flow(db: Database, tenant: Tenant) -> None:
    ids = [
        tenant.post("/partner/v1/orders", json=order_body(f"EXP-{i}")).json()["data"]["id"] for i in range(3)
    ]
    created = _export(tenant, {"resource": "orders", "filters": {"date_from": "2026-01-01"}})
    data = created["data"]
    assert created == {
        "data": {
            "id": data["id"],
            "status": "pending",
            "resource": "orders",
            "created_at": data["created_at"],
        },
        "meta": {"poll_url": f"/partner/v1/exports/{data['id']}", "row_limit": 5000},
    }
    pending = tenant.get(created["meta"]["poll_url"]).json()
    assert pending == {
        "data": {
            "id": data["id"],
            "resource": "orders",
            "status": "pending",
            "filters": {"date_from": "2026-01-01"},
            "created_at": data["created_at"],
            "completed_at": None,
            "count": None,
            "rows": None,
        },
        "meta": {"row_limit": 5000},
    }

    assert _run_exports(db) == 1
    done = tenant.get(created["meta"]["poll_url"]).json()
    assert done["data"]["status"] == "complete" and done["data"]["completed_at"] is not None
    assert done["data"]["count"] == 3
    assert [row["id"] for row in done["data"]["rows"]] == ids[::-1]
    # Each row is the full order object, exactly as GET /orders shows it.
    assert done["data"]["rows"] == tenant.get("/partner/v1/orders").json()["data"]
    assert done["meta"] == {"row_limit": 5000, "truncated": False, "total_matched": 3}
    assert _run_exports(db) == 0  # the job ran once; running the workers again changes nothing


def test_filters_are_the_list_endpoints(db: Database, tenant: Tenant) -> None:
    tenant.post("/partner/v1/orders", json=order_body("F-1", tags=["rush"]))
    second = tenant.post("/partner/v1/orders", json=order_body("F-2")).json()["data"]["id"]
    tenant.post(f"/partner/v1/orders/{second}/cancel", json={})
    exports = {
        "tag": _export(tenant, {"resource": "orders", "filters": {"tag": "rush"}}),
        "status": _export(tenant, {"resource": "orders", "filters": {"status": ["cancelled"]}}),
        "status_text": _export(tenant, {"resource": "orders", "filters": {"status": "pending,cancelled"}}),
        "external": _export(tenant, {"resource": "orders", "filters": {"external_id": "F-1"}}),
        "none": _export(tenant, {"resource": "orders", "filters": {"date_to": "2000-01-01"}}),
    }
    _run_exports(db)
    found = {
        name: [r["external_id"] for r in tenant.get(e["meta"]["poll_url"]).json()["data"]["rows"]]
        for name, e in exports.items()
    }
    assert found == {
        "tag": ["F-1"],
        "status": ["F-2"],
        "status_text": ["F-2", "F-1"],
        "external": ["F-1"],
        "none": [],
    }


def test_row_limit_is_enforced_and_said(db: Database, tenant: Tenant) -> None:
    with db.reading() as session:
        from warpware.accounts.models import Account, Integration

        integration = session.get(Integration, uuid.UUID(tenant.key_id))
        assert integration is not None
        account = session.get(Account, integration.account_id)
        assert account is not None
        principal = Principal(
            account_id=account.id,
            account_slug=account.slug,
            integration_id=integration.id,
            scopes=frozenset({"read", "write"}),
            sub_client_id=integration.sub_client_id,
            sub_client_slug=tenant.sub_client,
        )
    address = Address(name="Jane Smith", address1="123 Main St", city="New York", state="NY", zip="10001")
    with db.writing() as session:
        results = orders_service.ingest(
            session,
            principal,
            [
                NormalizedOrder(
                    external_id=f"BIG-{i:05d}",
                    source="api",
                    shipping_address=address,
                    line_items=(LineItem(sku="WIDGET", quantity=1),),
                )
                for i in range(5003)
            ],
            actor="test",
        )
        # Their evaluations are not this test's business; left queued they would slow every later worker run.
        keys = [f"order:{r.order.id}" for r in results if r.order is not None]
        for start in range(0, len(keys), 500):
            session.execute(
                update(jobs_table)
                .where(
                    jobs_table.c.ordering_key.in_(keys[start : start + 500]), jobs_table.c.status == "queued"
                )
                .values(status="cancelled")
            )
    created = _export(tenant, {"resource": "orders"})
    _run_exports(db)
    done = tenant.get(created["meta"]["poll_url"]).json()
    assert done["data"]["count"] == 5000 and len(done["data"]["rows"]) == 5000
    assert (done["data"]["rows"][0]["external_id"], done["data"]["rows"][-1]["external_id"]) == (
        "BIG-05002",
        "BIG-00003",
    )
    assert done["meta"] == {
        "row_limit": 5000,
        "truncated": True,
        "total_matched": 5003,
        "message": "Export truncated to the newest 5000 of 5003 matching rows; "
        "narrow the filters (e.g. by date) to export the rest",
    }


def test_products_and_inventory_exports(db: Database, tenant: Tenant) -> None:
    assert (
        tenant.client.put(
            "/partner/v1/products/WIDGET-RED-LG",
            json={"name": "Red Widget Large", "price": 29.99},
            headers={"Authorization": f"Bearer {tenant.key}"},
        ).status_code
        == 201
    )
    response = tenant.post(
        "/partner/v1/inventory/levels",
        json={"sku": "WIDGET-RED-LG", "quantity_on_hand": 15, "warehouse": "East Coast DC"},
    )
    assert response.status_code in (200, 201), response.text
    products = _export(tenant, {"resource": "products", "filters": {"search": "widget"}})
    inventory = _export(tenant, {"resource": "inventory", "filters": {"sku": "WIDGET-RED-LG"}})
    _run_exports(db)
    product_rows = tenant.get(products["meta"]["poll_url"]).json()["data"]["rows"]
    assert product_rows == tenant.get("/partner/v1/products?search=widget").json()["data"]
    assert [(p["sku"], p["name"], p["price"]) for p in product_rows] == [
        ("WIDGET-RED-LG", "Red Widget Large", 29.99)
    ]
    inventory_rows = tenant.get(inventory["meta"]["poll_url"]).json()["data"]["rows"]
    assert inventory_rows == tenant.get("/partner/v1/inventory?sku=WIDGET-RED-LG").json()["data"]
    assert [(r["sku"], r["quantity_on_hand"], r["warehouse"]) for r in inventory_rows] == [
        ("WIDGET-RED-LG", 15, "East Coast DC")
    ]


def test_validation(tenant: Tenant) -> None:
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({}, ["resource"]),
        ({"resource": "customers"}, ["resource"]),
        ({"resource": "orders", "filters": {"colour": "red"}}, ["filters.colour"]),
        (
            {"resource": "orders", "filters": {"date_from": "yesterday", "status": "lost"}},
            ["filters.date_from", "filters.status"],
        ),
        ({"resource": "orders", "filters": {"tag": 5}}, ["filters.tag"]),
        ({"resource": "products", "filters": {"status": "in_stock"}}, ["filters.status"]),
        ({"resource": "inventory", "filters": {"status": ["gone"]}}, ["filters.status"]),
        ({"resource": "orders", "filters": [1]}, ["filters"]),
        ({"resource": "orders", "limit": 10}, ["limit"]),
    ]
    for body, fields in cases:
        response = tenant.post("/partner/v1/exports", json=body)
        assert response.status_code == 422, (body, response.text)
        assert [e["field"] for e in response.json()["errors"]] == fields, body
    assert (
        tenant.post(
            "/partner/v1/exports", content=b"{", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_isolation_and_unknown_ids(db: Database, tenant: Tenant, other_tenant: Tenant) -> None:
    tenant.post("/partner/v1/orders", json=order_body("MINE-1"))
    other_tenant.post("/partner/v1/orders", json=order_body("THEIRS-1"))
    mine = _export(tenant, {"resource": "orders"})
    _run_exports(db)
    assert [r["external_id"] for r in tenant.get(mine["meta"]["poll_url"]).json()["data"]["rows"]] == [
        "MINE-1"
    ]
    response = other_tenant.get(mine["meta"]["poll_url"])
    assert response.status_code == 404
    assert response.json() == {"detail": f"Export {mine['data']['id']} not found"}
    assert tenant.get("/partner/v1/exports/not-a-uuid").status_code == 404
    assert tenant.get(f"/partner/v1/exports/{uuid.uuid4()}").status_code == 404


def test_read_scope_suffices(db: Database, tenant: Tenant) -> None:
    from tests.conftest import new_key

    _account, key, _ = new_key(db, scopes="read")
    response = tenant.client.post(
        "/partner/v1/exports", json={"resource": "orders"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 202
