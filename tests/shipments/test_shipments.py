"""POST /shipments: the documented request and response; the shipment becomes an order through the shared
ingest (deduplicated, through the rules) and is routed to the warehouse it names."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import Tenant, order_body
from tests.shipments.conftest import Pipeline

DOC_SHIPMENT: dict[str, Any] = {
    "external_id": "SHIP-014191",
    "source": "erp",
    "warehouse_id": "6",
    "ship_to": {
        "name": "IEH QUANTA",
        "address1": "9330 CORPORATE DRIVE",
        "city": "SELMA",
        "state": "TX",
        "zip": "78154",
        "country": "US",
        "phone": "8003288378",
        "email": "shipping@iehquanta.example",
    },
    "line_items": [{"sku": "3041-80", "quantity": 2, "description": "Specimen Cup", "uom": "CS"}],
    "carrier": "FedEx",
    "service": "Ground",
    "note": "Handle with care",
}


def _warehouse(pipeline: Pipeline, name: str = "Selma DC", facility_id: int = 6) -> str:
    response = pipeline.tenant.post(
        "/partner/v1/connections",
        json={
            "name": name,
            "type": "sandbox",
            "settings": {"base_url": str(pipeline.sandbox.base_url), "facility_id": facility_id},
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def test_documented_example_routes_to_the_named_warehouse(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    selma = _warehouse(pipeline)
    # Routing rules and the default connection would send it elsewhere: the shipment's warehouse wins.
    rule = {
        "name": "Everything to the default",
        "stage": "routing",
        "priority": 1,
        "actions": [{"type": "route", "connection_id": pipeline.connection_id}],
    }
    assert tenant.post("/partner/v1/rules", json=rule).status_code == 201
    response = tenant.post("/partner/v1/shipments", json=DOC_SHIPMENT)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert response.json() == {
        "data": {
            "id": data["id"],
            "external_id": "SHIP-014191",
            "status": "pending",
            "message": "Shipment ingested and queued for processing",
        },
        "meta": {},
    }
    order = pipeline.get(data["id"])
    assert (order["source"], order["carrier"], order["service_level"], order["note"]) == (
        "erp",
        "FedEx",
        "Ground",
        "Handle with care",
    )
    assert order["line_items"] == [
        {"sku": "3041-80", "name": "Specimen Cup", "quantity": 2, "price": None, "uom": "CS"}
    ]
    assert order["shipping_address"] == {
        "name": "IEH QUANTA",
        "address1": "9330 CORPORATE DRIVE",
        "address2": None,
        "city": "SELMA",
        "state": "TX",
        "zip": "78154",
        "country": "US",
        "phone": "8003288378",
        "email": "shipping@iehquanta.example",
    }
    assert (order["customer_name"], order["customer_email"]) == ("IEH QUANTA", "shipping@iehquanta.example")
    pipeline.run_jobs()
    order = pipeline.get(data["id"])
    assert (
        order["status"],
        order["connection_id"],
        order["route_assigned_by"],
        order["route_destination_label"],
    ) == ("processing", selma, "shipment", "Selma DC")
    [remote] = [
        o
        for o in pipeline.sandbox.get("/_sandbox/orders").json()["orders"]
        if o["referenceNum"] == data["id"]
    ]
    assert remote["received"]["facilityIdentifier"]["id"] == 6
    events = pipeline.events(data["id"])
    assert [e["type"] for e in events][:4] == ["received", "rule_matched", "rules_evaluated", "routed"]
    assert events[3]["message"] == "Routed to Selma DC (sandbox) by shipment"


def test_warehouse_id_may_be_a_location_or_connection_id_or_name(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    selma = _warehouse(pipeline)
    location = [
        loc for loc in tenant.get("/partner/v1/locations").json()["data"] if loc["name"] == "Selma DC"
    ][0]
    for index, warehouse_id in enumerate([selma, location["id"], "selma dc"]):
        body = {**DOC_SHIPMENT, "external_id": f"SHIP-W{index}", "warehouse_id": warehouse_id}
        assert tenant.post("/partner/v1/shipments", json=body).status_code == 201
    pipeline.run_jobs()
    orders = (
        tenant.get("/partner/v1/orders?external_id=SHIP-W0").json()["data"]
        + tenant.get("/partner/v1/orders?external_id=SHIP-W1").json()["data"]
        + tenant.get("/partner/v1/orders?external_id=SHIP-W2").json()["data"]
    )
    assert [o["connection_id"] for o in orders] == [selma] * 3


def test_duplicates_are_refused_like_orders(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    _warehouse(pipeline)
    first = tenant.post("/partner/v1/shipments", json=DOC_SHIPMENT).json()["data"]
    again = tenant.post("/partner/v1/shipments", json=DOC_SHIPMENT)
    assert (again.status_code, again.json()) == (
        409,
        {"detail": "Order with external_id SHIP-014191 already exists", "existing_order_id": first["id"]},
    )
    as_order = tenant.post("/partner/v1/orders", json=order_body("SHIP-014191"))
    assert as_order.status_code == 409
    assert pipeline.types(first["id"]).count("duplicate_rejected") == 2
    replayed = tenant.post(
        "/partner/v1/shipments",
        json={**DOC_SHIPMENT, "external_id": "SHIP-IDEM"},
        headers={"X-Idempotency-Key": "ship-1"},
    )
    replay = tenant.post(
        "/partner/v1/shipments",
        json={**DOC_SHIPMENT, "external_id": "SHIP-IDEM"},
        headers={"X-Idempotency-Key": "ship-1"},
    )
    assert replay.headers["X-Idempotent-Replayed"] == "true"
    assert replay.json() == replayed.json()


def test_unknown_warehouse_and_validation(pipeline: Pipeline, other_tenant: Tenant) -> None:
    tenant = pipeline.tenant
    unknown = tenant.post("/partner/v1/shipments", json={**DOC_SHIPMENT, "warehouse_id": "99"})
    assert (unknown.status_code, unknown.json()) == (
        422,
        {
            "detail": "Validation failed: warehouse_id: no warehouse '99' in this account",
            "errors": [{"field": "warehouse_id", "message": "no warehouse '99' in this account"}],
        },
    )
    tenant.post("/partner/v1/inventory/levels", json={"sku": "X", "quantity_on_hand": 1, "warehouse": "Yard"})
    not_a_destination = tenant.post("/partner/v1/shipments", json={**DOC_SHIPMENT, "warehouse_id": "Yard"})
    assert not_a_destination.json()["errors"] == [
        {"field": "warehouse_id", "message": "Yard is not a warehouse orders can be sent to"}
    ]
    # Another account's warehouse is unknown here.
    assert (
        other_tenant.post(
            "/partner/v1/shipments", json={**DOC_SHIPMENT, "warehouse_id": pipeline.connection_id}
        ).status_code
        == 422
    )
    for path, value, field in [
        (("line_items",), [], "line_items"),
        (("line_items", 0, "quantity"), 0, "line_items.0.quantity"),
        (("line_items", 0, "uom"), "X" * 21, "line_items.0.uom"),
        (("ship_to", "email"), "not-an-email", "ship_to.email"),
        (("ship_to", "zip"), "", "ship_to.zip"),
        (("source",), "Not Valid", "source"),
        (("warehouse_id",), "", "warehouse_id"),
        (("external_id",), "", "external_id"),
        (("colour",), "red", "colour"),
    ]:
        body = copy.deepcopy(DOC_SHIPMENT)
        target: Any = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        response = tenant.post("/partner/v1/shipments", json=body)
        assert response.status_code == 422, path
        assert [e["field"] for e in response.json()["errors"]] == [field], path
    assert tenant.get("/partner/v1/orders?external_id=SHIP-014191").json()["data"] == []
