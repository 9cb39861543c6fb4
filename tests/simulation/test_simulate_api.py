"""POST /orders/simulate: the documented example, realistic generated orders, limits, and the real
pipeline (rules, holds, routing) without anything ever reaching the warehouse."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.conftest import Tenant
from tests.pipeline.conftest import Pipeline
from warpware.simulation import samples

URL = "/partner/v1/orders/simulate"
EXAMPLE = {
    "source": "api",
    "count": 5,
    "line_items": [{"sku": "TEST-SKU-001", "quantity": 2, "description": "Test Product"}],
    "ship_to": {
        "name": "Test Customer",
        "address1": "123 Test St",
        "city": "Austin",
        "state": "TX",
        "zip": "78701",
        "country": "US",
    },
}


def _simulate(tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    response = tenant.post(URL, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_documented_example(tenant: Tenant) -> None:
    response = tenant.post(URL, json=EXAMPLE)
    assert response.status_code == 201
    body = response.json()
    data = body["data"]
    assert (data["created"], data["failed"], data["message"]) == (
        5,
        0,
        "5 test order(s) created and queued for processing",
    )
    assert body["meta"] == {"client_id": tenant.account + ":warehouse-east"}
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    pattern = re.compile(rf"^TEST-{today}-[0-9a-f]{{6}}$")
    assert len(data["orders"]) == 5 and len({o["external_id"] for o in data["orders"]}) == 5
    for item in data["orders"]:
        assert set(item) == {"id", "external_id"} and pattern.match(item["external_id"]), item
        order = tenant.get(f"/partner/v1/orders/{item['id']}").json()["data"]
        assert (order["external_id"], order["source"], order["status"], order["tags"]) == (
            item["external_id"],
            "api",
            "pending",
            ["TEST_ORDER"],
        )
        assert order["line_items"] == [
            {"sku": "TEST-SKU-001", "name": "Test Product", "quantity": 2, "price": None}
        ]
        assert order["shipping_address"] == {
            "name": "Test Customer",
            "address1": "123 Test St",
            "address2": None,
            "city": "Austin",
            "state": "TX",
            "zip": "78701",
            "country": "US",
            "phone": None,
        }
        assert (order["customer_name"], order["metadata"]) == ("Test Customer", {"simulated": True})


def test_generated_orders_are_realistic(tenant: Tenant) -> None:
    data = _simulate(tenant, {"count": 20, "source": "shopify"})
    assert data["created"] == 20
    places = {(city, state, zip_code) for city, state, zip_code in samples.PLACES}
    products = {sku: (name, float(price)) for sku, name, price in samples.PRODUCTS}
    for item in data["orders"]:
        order = tenant.get(f"/partner/v1/orders/{item['id']}").json()["data"]
        address = order["shipping_address"]
        assert (address["city"], address["state"], address["zip"]) in places
        assert re.match(r"^\d{2,4} \S.*$", address["address1"]) and address["country"] == "US"
        assert address["name"] == order["customer_name"]
        first, last = order["customer_name"].split(" ")
        assert first in samples.FIRST_NAMES and last in samples.LAST_NAMES
        assert order["customer_email"] == f"{first.lower()}.{last.lower()}@example.com"
        assert 1 <= len(order["line_items"]) <= 3
        assert len({li["sku"] for li in order["line_items"]}) == len(order["line_items"])
        for line in order["line_items"]:
            assert (line["name"], line["price"]) == products[line["sku"]] and 1 <= line["quantity"] <= 3
        assert (order["source"], order["tags"]) == ("shopify", ["TEST_ORDER"])


def test_limits_and_validation(tenant: Tenant) -> None:
    response = tenant.post(URL, json={**EXAMPLE, "count": 101})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "count", "message": "Value error, at most 100 test orders per request (got 101)"}
    ]
    for body, field in [
        ({"count": 0}, "count"),
        ({"count": "many"}, "count"),
        ({"count": 1, "extra": 1}, "extra"),
        ({"source": "Not A Source!"}, "source"),
        ({"line_items": []}, "line_items"),
        ({"line_items": [{"sku": "A", "quantity": 0}]}, "line_items.0.quantity"),
        ({"ship_to": {"name": "X"}}, "ship_to.address1"),
    ]:
        response = tenant.post(URL, json=body)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field, body
    assert _simulate(tenant, {"count": 100})["created"] == 100
    assert _simulate(tenant, {})["created"] == 1


def test_write_scope_and_isolation(db: Any, tenant: Tenant, other_tenant: Tenant) -> None:
    from tests.conftest import new_key

    _account, key, _ = new_key(db, scopes="read")
    assert tenant.client.post(URL, json={}, headers={"Authorization": f"Bearer {key}"}).status_code == 403
    [item] = _simulate(tenant, {"count": 1})["orders"]
    assert other_tenant.get(f"/partner/v1/orders/{item['id']}").status_code == 404
    assert other_tenant.get(f"/partner/v1/orders/by-external/{item['external_id']}").status_code == 404


def test_test_orders_travel_the_pipeline_and_are_never_sent(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    rule = {
        "name": "Texas review",
        "stage": "hold",
        "priority": 1,
        "conditions": {"all": [{"field": "state", "op": "eq", "value": "TX"}]},
        "actions": [{"type": "hold", "reason": "Texas orders are reviewed"}],
    }
    assert tenant.post("/partner/v1/rules", json=rule).status_code == 201
    texas = _simulate(tenant, EXAMPLE)["orders"]
    elsewhere = _simulate(
        tenant,
        {
            **EXAMPLE,
            "count": 2,
            "ship_to": {**EXAMPLE["ship_to"], "city": "Denver", "state": "CO", "zip": "80202"},
        },
    )["orders"]
    pipeline.run_jobs()
    for item in texas:
        order = pipeline.get(item["id"])
        assert (order["status"], order["hold_reason"]) == ("hold", "Texas orders are reviewed")
    for item in elsewhere:
        order = pipeline.get(item["id"])
        assert (order["status"], order["route_destination_label"], order["route_assigned_by"]) == (
            "ready",
            "Sandbox",
            "default",
        )
        assert pipeline.types(item["id"]) == [
            "received",
            "rules_evaluated",
            "routed",
            "status_changed",
            "test_order_not_sent",
        ]
    # Released by a person, a held test order is routed and still not sent.
    tenant.post(f"/partner/v1/orders/{texas[0]['id']}/release")
    pipeline.run_jobs()
    assert pipeline.get(texas[0]["id"])["status"] == "ready"
    assert pipeline.sandbox.get("/_sandbox/orders").json()["count"] == 0
