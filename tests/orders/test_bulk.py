"""POST /orders/bulk: 207 always, per-item results, ≤ 100 items."""

from __future__ import annotations

from tests.conftest import Tenant, order_body

REFERENCE_BULK = """{
"orders": [
{
"external_id": "ORDER-2001",
"line_items": [{ "sku": "WIDGET-BLUE-M", "quantity": 1 }],
"shipping_address": {
"name": "Bob Jones", "address1": "456 Oak Ave",
"city": "Denver", "state": "CO", "zip": "80201"
}
},
{
"external_id": "ORDER-2002",
"line_items": [{ "sku": "GADGET-XL", "quantity": 3, "price": 49.99 }],
"shipping_address": {
"name": "Alice Wu", "address1": "789 Elm St",
"city": "Seattle", "state": "WA", "zip": "98101"
},
"tags": ["rush"]
}
]
}"""


def test_reference_bulk_example(tenant: Tenant) -> None:
    tenant.post("/partner/v1/orders", json=order_body("ORDER-2002"))
    response = tenant.post(
        "/partner/v1/orders/bulk", content=REFERENCE_BULK, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 207
    body = response.json()
    first, second = body["data"]
    assert first["external_id"] == "ORDER-2001" and first["status"] == "created"
    assert set(first) == {"external_id", "status", "id", "created_at"}
    assert second == {
        "external_id": "ORDER-2002",
        "status": "duplicate",
        "message": "Order with this external_id already exists",
    }
    assert body["meta"] == {
        "total": 2,
        "created": 1,
        "duplicates": 1,
        "errors": 0,
        "client_id": f"{tenant.account}:warehouse-east",
    }


def test_bulk_item_errors_do_not_block_others(tenant: Tenant) -> None:
    bad = order_body("BAD-1")
    del bad["shipping_address"]["zip"]
    items = [order_body("OK-1"), bad, order_body("OK-1"), "not an object", order_body("OK-2")]
    response = tenant.post("/partner/v1/orders/bulk", json={"orders": items})
    assert response.status_code == 207
    data = response.json()["data"]
    assert [d["status"] for d in data] == ["created", "error", "duplicate", "error", "created"]
    assert data[1]["external_id"] == "BAD-1"
    assert data[1]["message"] == "Validation failed: shipping_address.zip: Field required"
    assert response.json()["meta"] == {
        "total": 5,
        "created": 2,
        "duplicates": 1,
        "errors": 2,
        "client_id": f"{tenant.account}:warehouse-east",
    }
    assert tenant.get("/partner/v1/orders/by-external/OK-2").status_code == 200


def test_bulk_all_failed_is_still_207(tenant: Tenant) -> None:
    response = tenant.post("/partner/v1/orders/bulk", json={"orders": [{"external_id": "X"}]})
    assert response.status_code == 207
    assert response.json()["meta"]["errors"] == 1


def test_bulk_over_100_is_422_and_stores_nothing(tenant: Tenant) -> None:
    items = [order_body(f"MANY-{i}") for i in range(101)]
    response = tenant.post("/partner/v1/orders/bulk", json={"orders": items})
    assert response.status_code == 422
    assert response.json() == {"detail": "Too many orders: 101 sent, at most 100 per request"}
    assert tenant.get("/partner/v1/orders/stats").json()["data"]["total"] == 0


def test_bulk_exactly_100(tenant: Tenant) -> None:
    response = tenant.post(
        "/partner/v1/orders/bulk", json={"orders": [order_body(f"H-{i}") for i in range(100)]}
    )
    assert response.status_code == 207
    assert response.json()["meta"]["created"] == 100


def test_bulk_without_orders_list_is_422(tenant: Tenant) -> None:
    assert tenant.post("/partner/v1/orders/bulk", json={"orders": "x"}).status_code == 422
    assert tenant.post("/partner/v1/orders/bulk", json={}).status_code == 422
