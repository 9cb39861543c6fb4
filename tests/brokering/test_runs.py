"""Settings, locations and runs: orders wait in the brokering queue and a run routes them by stock and
distance, commits their units and sends them to the warehouse."""

from __future__ import annotations

import httpx

from tests.brokering.conftest import NEAR_EAST, NEAR_WEST, Broker, facilities
from tests.conftest import Tenant, order_body
from tests.pipeline.conftest import Pipeline


def test_settings_defaults_validation_and_schedule(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    got = tenant.get("/partner/v1/brokering/settings").json()["data"]
    assert got["enabled"] is False
    assert got["ranking"] == ["fewest_splits", "distance", "priority"]
    assert got["unfillable_cancel_days"] == 7
    auth = {"Authorization": f"Bearer {tenant.key}"}

    def put(body: dict[str, object]) -> httpx.Response:
        return tenant.client.put("/partner/v1/brokering/settings", json=body, headers=auth)

    assert put({"ranking": ["closest"]}).status_code == 422
    assert put({"timezone": "Mars/Olympus"}).status_code == 422
    assert put({"schedule": "daily"}).status_code == 422
    assert put({"daily_at": "25:00"}).status_code == 422
    bad = put({"approval_conditions": {"field": "order_value", "op": "lt", "value": "lots"}})
    assert bad.status_code == 422 and "approval_conditions" in bad.json()["detail"]
    ok = put(
        {
            "enabled": True,
            "schedule": "daily",
            "daily_at": "07:00",
            "timezone": "America/New_York",
            "allow_split": True,
            "unfillable_cancel_days": 3,
        }
    )
    assert ok.status_code == 200, ok.text
    data = ok.json()["data"]
    assert (data["schedule"], data["daily_at"], data["timezone"], data["allow_split"]) == (
        "daily",
        "07:00",
        "America/New_York",
        True,
    )
    assert data["unfillable_cancel_days"] == 3
    assert tenant.get("/partner/v1/brokering/settings").json()["data"] == data


def test_locations_must_be_tied_to_a_destination_connection(broker: Broker) -> None:
    tenant = broker.tenant
    # A warehouse named through the inventory API has no connection: brokering cannot send orders there.
    broker.stock("WIDGET", 5, "Back room")
    rows = tenant.get("/partner/v1/brokering/locations").json()["data"]
    back_room = next(r for r in rows if r["name"] == "Back room")
    assert back_room["connection_id"] is None and back_room["brokering_enabled"] is False
    refused = broker.location(str(back_room["location_id"]), priority=1)
    assert refused.status_code == 422 and "destination connection" in refused.json()["detail"]
    assert broker.location("00000000-0000-0000-0000-000000000000", priority=1).status_code == 404
    east = next(r for r in rows if r["name"] == "East")
    assert (east["brokering_enabled"], east["zip"], east["kind"], east["connection_id"]) == (
        True,
        "10001",
        "warehouse",
        broker.east,
    )
    changed = broker.location(str(east["location_id"]), priority=5, daily_capacity=10, safety_stock=1)
    assert changed.status_code == 200
    assert (changed.json()["data"]["priority"], changed.json()["data"]["daily_capacity"]) == (5, 10)
    # The inventory locations endpoint is unchanged by brokering.
    listed = tenant.get("/partner/v1/inventory/locations").json()
    assert listed["data"] and "brokering_enabled" not in listed["data"][0]


def test_run_routes_to_the_nearest_stocked_location_and_dispatches(
    broker: Broker, sandbox: httpx.Client
) -> None:
    broker.stock("WIDGET", 5, "East")
    broker.stock("WIDGET", 5, "West")
    west_order = broker.order("B-WEST", [("WIDGET", 2)], zip=NEAR_WEST)
    east_order = broker.order("B-EAST", [("WIDGET", 1)], zip=NEAR_EAST)
    broker.pipeline.run_jobs()
    # Evaluated, then waiting in the brokering queue instead of "No routing rule matched".
    for order_id in (west_order, east_order):
        order = broker.get(order_id)
        assert (order["status"], order["brokering_queue"], order["connection_id"]) == (
            "pending",
            "brokering",
            None,
        )
        assert "unrouted" not in broker.types(order_id)
    counts = broker.tenant.get("/partner/v1/brokering/queues").json()["data"]
    assert counts == {
        "brokering": 2,
        "rejected": 0,
        "unfillable": 0,
        "unfillable_hold": 0,
        "preorder": 0,
        "backorder": 0,
    }

    run = broker.run()
    # Without approval criteria the orders were approved as they entered brokering.
    assert (run["orders_considered"], run["routed"], run["split"], run["approved"]) == (2, 2, 0, 0)
    assert run["moved_to"] == {"unfillable": 0, "preorder": 0, "backorder": 0}
    assert run["duration_ms"] is not None and run["trigger"] == "manual"

    west = broker.get(west_order)
    assert (west["status"], west["connection_id"], west["brokering_queue"]) == (
        "processing",
        broker.west,
        None,
    )
    assert west["route_assigned_by"] == "brokering"
    east = broker.get(east_order)
    assert (east["status"], east["connection_id"]) == ("processing", broker.east)
    assert broker.level("WIDGET", "West") == (5, 2)
    assert broker.level("WIDGET", "East") == (5, 1)
    brokered = [m for m in broker.messages(west_order) if m.startswith("Routed to West (")]
    assert brokered, broker.messages(west_order)
    types = broker.types(west_order)
    assert types.index("brokered") < types.index("routed") < types.index("push_success")
    # The sandbox got each order at its location's facility (East is facility 2, West 3).
    assert facilities(sandbox) == {west_order: [3], east_order: [2]}
    listed = broker.tenant.get("/partner/v1/brokering/runs").json()["data"]
    assert listed[0]["id"] == run["id"]


def test_a_rule_destination_wins_and_without_brokering_the_fallbacks_apply(broker: Broker) -> None:
    tenant = broker.tenant
    rule = tenant.post(
        "/partner/v1/rules",
        json={
            "name": "VIP to East",
            "stage": "routing",
            "conditions": {"field": "tags", "op": "contains", "value": "rush"},
            "actions": [{"type": "route", "connection_id": broker.east}],
        },
    )
    assert rule.status_code == 201, rule.text
    ruled = broker.order("B-RULE", [("WIDGET", 1)], tags=["rush"])
    queued = broker.order("B-QUEUED", [("WIDGET", 1)])
    broker.pipeline.run_jobs()
    assert (broker.get(ruled)["connection_id"], broker.get(ruled)["brokering_queue"]) == (broker.east, None)
    assert broker.get(queued)["brokering_queue"] == "brokering"
    broker.settings(enabled=False)
    fallback = broker.order("B-FALLBACK", [("WIDGET", 1)])
    broker.pipeline.run_jobs()
    # The pipeline's default connection (the fixture's "Sandbox") takes it, as before brokering existed.
    assert broker.get(fallback)["connection_id"] == broker.pipeline.connection_id
    refused = tenant.post("/partner/v1/brokering/runs", json={})
    assert refused.status_code == 422


def test_daily_capacity_and_safety_stock_are_respected(broker: Broker) -> None:
    broker.stock("WIDGET", 10, "East")
    broker.stock("WIDGET", 3, "West")
    assert broker.location(broker.west, daily_capacity=1, safety_stock=1).status_code == 200
    first = broker.order("B-CAP-1", [("WIDGET", 2)])
    second = broker.order("B-CAP-2", [("WIDGET", 1)])
    broker.pipeline.run_jobs()
    run = broker.run()
    assert run["routed"] == 2
    # West (nearer) takes one order a day, and keeps 1 unit back: the second goes East.
    assert broker.get(first)["connection_id"] == broker.west
    assert broker.get(second)["connection_id"] == broker.east


def test_another_accounts_run_and_orders_are_not_found(broker: Broker, other_tenant: Tenant) -> None:
    broker.stock("WIDGET", 5, "West")
    order_id = broker.order("B-ISO", [("WIDGET", 1)])
    broker.pipeline.run_jobs()
    run = broker.run()
    assert other_tenant.get(f"/partner/v1/brokering/runs/{run['id']}").status_code == 404
    assert other_tenant.get("/partner/v1/brokering/runs/not-a-uuid").status_code == 404
    assert other_tenant.get(f"/partner/v1/brokering/orders/{order_id}").status_code == 404
    assert other_tenant.post(f"/partner/v1/orders/{order_id}/approve", json={}).status_code == 404
    assert other_tenant.post(f"/partner/v1/orders/{order_id}/reject", json={"reason": "x"}).status_code == 404
    assert other_tenant.post(f"/partner/v1/orders/{order_id}/unfillable-hold").status_code == 404
    held = other_tenant.post("/partner/v1/brokering/unfillable-hold", json={"order_ids": [order_id]})
    assert held.json()["data"]["results"] == [{"id": order_id, "result": "not_found"}]
    assert other_tenant.get("/partner/v1/brokering/runs").json()["data"] == []
    assert other_tenant.post("/partner/v1/orders", json=order_body("B-ISO")).status_code == 201
