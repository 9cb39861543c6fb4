"""POST /orders, GET /orders/{id}, GET /orders/by-external: the reference's examples, verbatim."""

from __future__ import annotations

import json
import uuid

from tests.conftest import Tenant, order_body

REFERENCE_CREATE = """{
  "external_id": "ORDER-1234",
  "line_items": [{ "sku": "WIDGET-RED-LG", "quantity": 2, "price": 29.99 }],
  "shipping_address": {
    "name": "Jane Smith", "address1": "123 Main St",
    "city": "New York", "state": "NY", "zip": "10001"
  },
  "customer_email": "jane@example.com",
  "tags": ["vip"]
}"""

ORDER_FIELDS = {
    "id",
    "external_id",
    "source",
    "status",
    "client_id",
    "sub_client_id",
    "connection_id",
    "line_items",
    "customer_email",
    "customer_name",
    "shipping_address",
    "carrier",
    "tracking_number",
    "service_level",
    "api_connection_id",
    "route_destination_type",
    "route_destination_label",
    "route_assigned_by",
    "is_held",
    "hold_reason",
    "retry_count",
    "error_message",
    "created_at",
    "updated_at",
    "processed_at",
    "metadata",
    "note",
    "tags",
}


def test_reference_create_example_verbatim(tenant: Tenant) -> None:
    response = tenant.post(
        "/partner/v1/orders",
        content=REFERENCE_CREATE,
        headers={"Content-Type": "application/json", "X-Idempotency-Key": "my-system-uuid-1234"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["meta"] == {}
    data = body["data"]
    assert set(data) == {"id", "external_id", "source", "status", "client_id", "created_at"}
    assert data["external_id"] == "ORDER-1234"
    assert data["source"] == "api"
    assert data["status"] == "pending"
    assert data["client_id"] == f"{tenant.account}:warehouse-east"
    assert uuid.UUID(data["id"])
    assert data["created_at"].endswith("Z")
    assert response.headers["X-WarpWare-API-Version"] == "2026-02-27"


def test_get_returns_every_documented_field(tenant: Tenant) -> None:
    body = order_body(
        "ORDER-FULL",
        customer_name="Jane Smith",
        note="Leave at door",
        metadata={"po_number": "PO-2026-001", "department": "fulfillment"},
        tags=["vip", "rush"],
    )
    body["shipping_address"].update({"address2": "Apt 4B", "country": "US", "phone": "555-1234"})
    created = tenant.post("/partner/v1/orders", json=body).json()["data"]
    response = tenant.get(f"/partner/v1/orders/{created['id']}")
    assert response.status_code == 200
    order = response.json()["data"]
    assert set(order) >= ORDER_FIELDS
    assert order["line_items"] == [{"sku": "WIDGET-RED-LG", "name": None, "quantity": 2, "price": 29.99}]
    assert order["shipping_address"] == {
        "name": "Jane Smith",
        "address1": "123 Main St",
        "address2": "Apt 4B",
        "city": "New York",
        "state": "NY",
        "zip": "10001",
        "country": "US",
        "phone": "555-1234",
    }
    assert order["metadata"] == {"po_number": "PO-2026-001", "department": "fulfillment"}
    assert order["tags"] == ["vip", "rush"]
    assert order["note"] == "Leave at door"
    assert order["status"] == "pending" and order["is_held"] is False and order["retry_count"] == 0
    assert order["client_id"] == f"{tenant.account}:warehouse-east"
    assert order["sub_client_id"] == "warehouse-east"
    assert order["api_connection_id"] == tenant.key_id
    assert order["customer_name"] == "Jane Smith"
    assert order["processed_at"] is None and order["error_message"] is None
    assert order["order_total"] == 59.98


def test_defaults_country_us_and_source_api(tenant: Tenant) -> None:
    created = tenant.post("/partner/v1/orders", json=order_body("ORDER-DEF")).json()["data"]
    order = tenant.get(f"/partner/v1/orders/{created['id']}").json()["data"]
    assert order["shipping_address"]["country"] == "US"
    assert order["source"] == "api"
    assert order["metadata"] == {}


def test_money_is_exact(tenant: Tenant) -> None:
    body = order_body(
        line_items=[{"sku": "A", "quantity": 3, "price": 0.1}, {"sku": "B", "quantity": 1, "price": 0.2}]
    )
    created = tenant.post("/partner/v1/orders", json=body).json()["data"]
    order = tenant.get(f"/partner/v1/orders/{created['id']}").json()["data"]
    assert [li["price"] for li in order["line_items"]] == [0.1, 0.2]
    # 3 × 0.1 + 0.2 is 0.5 exactly; binary floats would give 0.5000000000000001.
    assert order["order_total"] == 0.5


def test_by_external_id(tenant: Tenant) -> None:
    created = tenant.post("/partner/v1/orders", json=order_body("ORDER/With Space")).json()["data"]
    response = tenant.get("/partner/v1/orders/by-external/ORDER%2FWith%20Space")
    assert response.status_code == 404 or response.json()["data"]["id"] == created["id"]
    response = tenant.get("/partner/v1/orders/by-external/ORDER%2FWith Space")
    found = tenant.get(f"/partner/v1/orders/by-external/{'ORDER-X'}")
    assert found.status_code == 404
    assert found.json() == {"detail": "Order with external_id ORDER-X not found"}


def test_by_external_simple(tenant: Tenant) -> None:
    created = tenant.post("/partner/v1/orders", json=order_body("ORDER-EXT-1")).json()["data"]
    response = tenant.get("/partner/v1/orders/by-external/ORDER-EXT-1")
    assert response.status_code == 200
    assert response.json()["data"]["id"] == created["id"]


def test_duplicate_external_id_is_409_and_noted_on_original(tenant: Tenant) -> None:
    first = tenant.post("/partner/v1/orders", json=order_body("ORDER-DUP"))
    second = tenant.post("/partner/v1/orders", json=order_body("ORDER-DUP"))
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["detail"] == "Order with external_id ORDER-DUP already exists"
    assert second.json()["existing_order_id"] == first.json()["data"]["id"]
    events = tenant.get("/partner/v1/orders/ORDER-DUP/timeline").json()["data"]["events"]
    assert [e["type"] for e in events] == ["duplicate_rejected", "received"]


def test_unknown_order_is_404(tenant: Tenant) -> None:
    response = tenant.get(f"/partner/v1/orders/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["detail"].endswith("not found")
    assert tenant.get("/partner/v1/orders/not-a-uuid").status_code == 404


def test_received_event_records_source_and_payload(tenant: Tenant) -> None:
    created = tenant.post("/partner/v1/orders", json=order_body("ORDER-TL")).json()["data"]
    timeline = tenant.get(f"/partner/v1/orders/{created['id']}/timeline").json()["data"]
    assert timeline["order_id"] == created["id"]
    assert timeline["external_id"] == "ORDER-TL"
    assert timeline["event_count"] == 1
    [event] = timeline["events"]
    assert event["source"] == "lifecycle"
    assert event["type"] == "received"
    assert event["component"] == "OrderIngestionService"
    assert event["message"] == "Order received from api"
    assert event["details"]["payload"]["external_id"] == "ORDER-TL"
    assert event["details"]["payload"]["line_items"][0]["price"] == "29.99"
    assert json.dumps(event)
