"""POST /walter with the built-in question parser: answers from real pipeline data, the caller's only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import Tenant, order_body
from tests.pipeline.conftest import Clock, Pipeline
from warpware.kit.jsonio import format_timestamp

URL = "/partner/v1/walter"
BAD_SKU_ERROR = (
    "Extensiv POST /orders answered 422: Item with SKU INVALID-GIZMO does not exist for this customer."
)
OTHER_ERROR = (
    "Extensiv POST /orders answered 422: Item with SKU INVALID-DOOHICKEY does not exist for this customer."
)


def _ask(tenant: Tenant, query: str, **extra: Any) -> dict[str, Any]:
    response = tenant.post(URL, json={"query": query, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["meta"] == {}
    return body["data"]  # type: ignore[no-any-return]


def _fail(pipeline: Pipeline, external_id: str, sku: str) -> str:
    return pipeline.order(external_id, line_items=[{"sku": sku, "quantity": 1}])


def test_failed_in_last_7_days(pipeline: Pipeline, clock: Clock) -> None:
    for i in range(3):
        _fail(pipeline, f"BAD-{i}", "INVALID-GIZMO")
    _fail(pipeline, "BAD-3", "INVALID-DOOHICKEY")
    pipeline.order("GOOD-1")
    pipeline.run_jobs()
    retried = pipeline.tenant.get("/partner/v1/orders/by-external/BAD-3").json()["data"]["id"]
    pipeline.tenant.post(f"/partner/v1/orders/{retried}/cancel", json={})
    data = _ask(pipeline.tenant, "How many orders failed in the last 7 days?")
    assert data["response"] == (
        "In the last 7 days, 4 orders failed. The most common error was "
        f"'{BAD_SKU_ERROR}' (3 orders). 3 of them still need attention (status failed)."
    )
    assert data["client_id"] == f"{pipeline.tenant.account}:warehouse-east"
    assert data["engine"] == "builtin"
    [call] = data["tool_calls"]
    since = format_timestamp(clock.now - dt.timedelta(days=7))
    assert (call["tool"], call["arguments"]) == ("failed_orders", {"since": since})
    result = call["result"]
    assert (result["since"], result["until"], result["count"], result["still_failed"]) == (since, None, 4, 3)
    assert result["top_errors"] == [
        {"error": BAD_SKU_ERROR, "orders": 3},
        {"error": OTHER_ERROR, "orders": 1},
    ]
    assert sorted((o["external_id"], o["status"]) for o in result["orders"]) == [
        ("BAD-0", "failed"),
        ("BAD-1", "failed"),
        ("BAD-2", "failed"),
        ("BAD-3", "cancelled"),
    ]
    # A week later nothing failed in the last 7 days.
    clock.advance(8 * 86400)
    assert _ask(pipeline.tenant, "How many orders failed in the last 7 days?")["response"] == (
        "No orders failed in the last 7 days."
    )


def test_most_common_errors_this_week(pipeline: Pipeline, clock: Clock) -> None:
    _fail(pipeline, "E-1", "INVALID-GIZMO")
    _fail(pipeline, "E-2", "INVALID-DOOHICKEY")
    _fail(pipeline, "E-3", "INVALID-GIZMO")
    pipeline.run_jobs()
    data = _ask(pipeline.tenant, "What are the most common errors this week?")
    assert data["response"] == (
        f"The most common errors this week: '{BAD_SKU_ERROR}' (2 orders) and '{OTHER_ERROR}' (1 order)."
    )
    [call] = data["tool_calls"]
    local = clock.now
    monday = (local - dt.timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    assert (call["tool"], call["arguments"]) == ("common_errors", {"since": format_timestamp(monday)})
    assert call["result"]["errors"] == [
        {"error": BAD_SKU_ERROR, "orders": 2, "example_orders": ["E-3", "E-1"]},
        {"error": OTHER_ERROR, "orders": 1, "example_orders": ["E-2"]},
    ]


def test_which_orders_are_on_hold_and_why(pipeline: Pipeline) -> None:
    tenant = pipeline.tenant
    rule = {
        "name": "High value",
        "stage": "hold",
        "priority": 10,
        "conditions": {"all": [{"field": "order_value", "op": "gt", "value": 50}]},
        "actions": [{"type": "hold", "reason": "Order over $50"}],
    }
    assert tenant.post("/partner/v1/rules", json=rule).status_code == 201
    pipeline.order("H-1")  # 59.98
    pipeline.order("H-2")
    manual = pipeline.order("H-3", line_items=[{"sku": "CHEAP", "quantity": 1, "price": 5}])
    tenant.post(f"/partner/v1/orders/{manual}/hold", json={"reason": "Check address"})
    pipeline.order("FREE-1", line_items=[{"sku": "CHEAP", "quantity": 1, "price": 5}])
    pipeline.run_jobs()
    data = _ask(tenant, "Which orders are on hold and why?")
    assert data["response"] == (
        "3 orders are on hold: 2 for 'Order over $50' (H-1, H-2) and 1 for 'Check address' (H-3)."
    )
    [call] = data["tool_calls"]
    assert (call["tool"], call["arguments"]) == ("held_orders", {})
    assert call["result"]["count"] == 3
    assert call["result"]["by_reason"] == [
        {"reason": "Order over $50", "orders": 2},
        {"reason": "Check address", "orders": 1},
    ]
    assert [(o["external_id"], o["hold_reason"]) for o in call["result"]["orders"]] == [
        ("H-1", "Order over $50"),
        ("H-2", "Order over $50"),
        ("H-3", "Check address"),
    ]
    count = _ask(tenant, "How many orders are on hold?")
    assert count["response"] == "3 orders are on hold."
    assert count["tool_calls"][0]["arguments"] == {"status": "hold"}


def test_where_is_an_order(pipeline: Pipeline, clock: Clock, other_tenant: Tenant) -> None:
    tenant = pipeline.tenant
    order_id = pipeline.order("ORDER-1234")
    pipeline.run_jobs()
    sent = _ask(tenant, "Where is order ORDER-1234?")
    assert sent["response"].startswith(
        "Order ORDER-1234 was sent to Sandbox and is awaiting fulfillment (sent "
    )
    clock.advance(61)
    pipeline.run_jobs()
    tracking = tenant.get(f"/partner/v1/orders/{order_id}/tracking").json()["data"]
    data = _ask(tenant, "Where is order ORDER-1234?")
    assert data["response"] == (
        f"Order ORDER-1234 has shipped via UPS, tracking number "
        f"{tracking['tracking_number']} (shipped {tracking['shipped_at']})."
    )
    [call] = data["tool_calls"]
    assert (call["tool"], call["arguments"]) == ("find_order", {"order": "ORDER-1234"})
    found = call["result"]["order"]
    assert (found["id"], found["status"], found["carrier"], found["destination"]) == (
        order_id,
        "shipped",
        "UPS",
        "Sandbox",
    )
    assert found["last_event"]["type"] == "tracking_received"
    by_id = _ask(tenant, f"What is the status of {order_id}?")
    assert by_id["response"] == data["response"]
    # Another account's order is not found, by its external id or its WarpWare id.
    theirs = other_tenant.post("/partner/v1/orders", json=order_body("THEIR-9")).json()["data"]["id"]
    for query, ref in (("Where is order THEIR-9?", "THEIR-9"), (f"Where is order {theirs}?", theirs)):
        answer = _ask(tenant, query)
        assert answer["response"] == f"I could not find order {ref} in your account."
        assert answer["tool_calls"][0]["result"] == {"found": False, "order": ref}
    assert _ask(other_tenant, "Where is order ORDER-1234?")["response"] == (
        "I could not find order ORDER-1234 in your account."
    )


def test_shipped_yesterday_by_carrier(pipeline: Pipeline, clock: Clock) -> None:
    tenant = pipeline.tenant
    fedex = {
        "name": "FedEx for rush",
        "stage": "automation",
        "priority": 1,
        "conditions": {"all": [{"field": "tags", "op": "contains", "value": "rush"}]},
        "actions": [{"type": "set_carrier", "carrier": "FedEx"}],
    }
    assert tenant.post("/partner/v1/rules", json=fedex).status_code == 201
    for i in range(3):
        pipeline.order(f"S-UPS-{i}")
    pipeline.order("S-FDX-1", tags=["rush"])
    pipeline.run_jobs()
    clock.advance(61)
    pipeline.run_jobs()
    assert _ask(tenant, "How many orders shipped yesterday by carrier?")["response"] == (
        "No orders shipped yesterday."
    )
    today = _ask(tenant, "How many orders shipped today?")
    assert today["response"] == "Today, 4 orders shipped: UPS 3 and FedEx 1."
    clock.advance(86400)
    data = _ask(tenant, "How many orders shipped yesterday by carrier?")
    assert data["response"] == "Yesterday, 4 orders shipped: UPS 3 and FedEx 1."
    [call] = data["tool_calls"]
    midnight = clock.now.replace(hour=0, minute=0, second=0, microsecond=0)
    assert (call["tool"], call["arguments"]) == (
        "shipped_by_carrier",
        {"since": format_timestamp(midnight - dt.timedelta(days=1)), "until": format_timestamp(midnight)},
    )
    assert call["result"]["by_carrier"] == [
        {"carrier": "UPS", "orders": 3},
        {"carrier": "FedEx", "orders": 1},
    ]


def test_time_zone_from_context(pipeline: Pipeline, clock: Clock) -> None:
    clock.now = dt.datetime(2026, 3, 4, 3, 0, tzinfo=dt.UTC)  # 21:00 on March 3rd in Chicago
    data = _ask(
        pipeline.tenant, "How many orders shipped yesterday?", context={"timezone": "America/Chicago"}
    )
    assert data["tool_calls"][0]["arguments"] == {
        "since": "2026-03-02T06:00:00Z",
        "until": "2026-03-03T06:00:00Z",
    }
    response = pipeline.tenant.post(URL, json={"query": "hi", "context": {"timezone": "Mars/Olympus"}})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "context.timezone", "message": "unknown time zone"}]


def test_counts_and_help(tenant: Tenant) -> None:
    for i in range(2):
        tenant.post("/partner/v1/orders", json=order_body(f"C-{i}"))
    data = _ask(tenant, "How many orders do I have?")
    assert data["response"] == "You have 2 orders: 2 pending."
    assert data["tool_calls"][0]["result"]["by_status"] == {
        "pending": 2,
        "ready": 0,
        "processing": 0,
        "shipped": 0,
        "delivered": 0,
        "hold": 0,
        "failed": 0,
        "cancelled": 0,
    }
    assert _ask(tenant, "How many orders are pending this week?")["response"] == (
        "2 orders created this week are pending now."
    )
    unknown = _ask(tenant, "What is the meaning of life?")
    assert unknown["tool_calls"] == []
    assert unknown["response"].startswith("I can answer questions about your orders, for example:")


def test_validation(tenant: Tenant) -> None:
    for body, field in [
        ({}, "query"),
        ({"query": ""}, "query"),
        ({"query": "x" * 2001}, "query"),
        ({"query": "hi", "verbose": True}, "verbose"),
        ({"query": "hi", "context": []}, "context"),
    ]:
        response = tenant.post(URL, json=body)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == [field], body
