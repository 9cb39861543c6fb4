"""Approval between ingest and routing, and the order types: BOPIS, pre-orders and backorders."""

from __future__ import annotations

import datetime as dt

from tests.brokering.conftest import NEAR_EAST, Broker
from tests.pipeline.conftest import Clock

FRAUD_AND_PAID = {
    "all": [
        {"field": "metadata.fraud_score", "op": "lt", "value": 50},
        {"field": "metadata.payment_status", "op": "eq", "value": "paid"},
    ]
}


def test_orders_failing_approval_stay_pending_and_are_rechecked_each_run(broker: Broker) -> None:
    broker.settings(approval_conditions=FRAUD_AND_PAID)
    broker.stock("WIDGET", 10, "West")
    risky = broker.order("A-RISKY", [("WIDGET", 1)], metadata={"fraud_score": 80, "payment_status": "paid"})
    clean = broker.order("A-CLEAN", [("WIDGET", 1)], metadata={"fraud_score": 10, "payment_status": "paid"})
    unpaid = broker.order(
        "A-UNPAID", [("WIDGET", 1)], metadata={"fraud_score": 10, "payment_status": "pending"}
    )
    broker.pipeline.run_jobs()
    assert broker.state(risky)["approved"] is False
    assert "metadata.fraud_score" in str(broker.state(risky)["approval_failure"])
    assert broker.state(clean)["approved"] is True
    failed = [m for m in broker.messages(risky) if m.startswith("Not approved:")]
    assert len(failed) == 1

    run = broker.run()
    assert (run["routed"], run["approval_failures"], run["orders_considered"]) == (1, 2, 3)
    assert broker.get(clean)["status"] == "processing"
    assert (broker.get(risky)["status"], broker.get(risky)["brokering_queue"]) == ("pending", "brokering")
    # Re-checked, but the same reason is not written again.
    assert len([m for m in broker.messages(risky) if m.startswith("Not approved:")]) == 1

    # The fraud check clears: the next run approves and routes it.
    patched = broker.tenant.patch(f"/partner/v1/orders/{risky}", json={"metadata": {"fraud_score": 20}})
    assert patched.status_code == 200, patched.text
    run = broker.run()
    assert (run["approved"], run["routed"], run["approval_failures"]) == (1, 1, 1)
    assert broker.get(risky)["status"] == "processing"

    # A person approves the unpaid one without waiting for the criteria.
    approved = broker.tenant.post(f"/partner/v1/orders/{unpaid}/approve", json={"note": "paid by phone"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["data"]["approved"] is True
    assert any("Approved manually" in m and "paid by phone" in m for m in broker.messages(unpaid))
    again = broker.tenant.post(f"/partner/v1/orders/{unpaid}/approve", json={})
    assert again.status_code == 422
    assert broker.run()["routed"] == 1
    assert broker.get(unpaid)["status"] == "processing"
    assert broker.tenant.post(f"/partner/v1/orders/{unpaid}/approve").status_code == 422


def test_bopis_goes_straight_to_its_pickup_store(broker: Broker) -> None:
    # No stock anywhere and no run: the customer chose the store, so it is sent there at once.
    order_id = broker.order(
        "A-BOPIS",
        [("WIDGET", 1)],
        zip=NEAR_EAST,
        metadata={"order_type": "bopis", "pickup_location_id": "West"},
    )
    broker.pipeline.run_jobs()
    order = broker.get(order_id)
    assert (order["status"], order["connection_id"], order["brokering_queue"]) == (
        "processing",
        broker.west,
        None,
    )
    assert broker.state(order_id)["order_type"] == "bopis"
    assert any(
        "BOPIS order sent straight to its pickup location West" in m for m in broker.messages(order_id)
    )
    unknown = broker.order(
        "A-BOPIS-2", [("WIDGET", 1)], metadata={"order_type": "bopis", "pickup_location_id": "Nowhere"}
    )
    broker.pipeline.run_jobs()
    assert broker.state(unknown)["order_type"] == "standard"
    assert "pickup_location_unknown" in broker.types(unknown)


def test_preorders_and_backorders_park_until_stock_or_promise_date(broker: Broker, clock: Clock) -> None:
    future = (clock.now + dt.timedelta(days=3)).date().isoformat()
    preorder = broker.order(
        "A-PRE", [("NEWTHING", 1)], metadata={"order_type": "preorder", "promise_date": future}
    )
    backorder = broker.order(
        "A-BACK", [("OLDTHING", 1)], metadata={"order_type": "backorder", "promise_date": future}
    )
    manual = broker.order("A-MANUAL", [("OLDTHING", 1)], tags=["BACKORDER"])
    broker.pipeline.run_jobs()
    assert broker.get(preorder)["brokering_queue"] == "preorder"
    assert broker.get(backorder)["brokering_queue"] == "backorder"
    assert broker.get(manual)["brokering_queue"] == "backorder"
    counts = broker.tenant.get("/partner/v1/brokering/queues").json()["data"]
    assert (counts["preorder"], counts["backorder"]) == (1, 2)

    run = broker.run()  # nothing arrived, no date passed: they stay parked
    assert (run["released"], run["routed"]) == (0, 0)
    assert broker.get(preorder)["brokering_queue"] == "preorder"

    broker.stock("NEWTHING", 4, "East")  # pre-order stock arrives: released and brokered in the same run
    run = broker.run()
    assert (run["released"], run["routed"]) == (1, 1)
    assert (broker.get(preorder)["status"], broker.get(preorder)["connection_id"]) == (
        "processing",
        broker.east,
    )

    # A person releases one backorder by external id; the other waits for its promise date.
    released = broker.tenant.post(
        "/partner/v1/brokering/release", json={"external_ids": ["A-MANUAL", "NOPE"]}
    )
    assert released.status_code == 200, released.text
    assert released.json()["data"]["released"] == 1
    assert broker.get(manual)["brokering_queue"] == "brokering"
    clock.advance(4 * 86400)
    run = broker.run()  # the promise date passed: released, and unfillable without stock
    assert run["released"] == 1
    assert broker.get(backorder)["brokering_queue"] == "unfillable"
    assert broker.get(manual)["brokering_queue"] == "unfillable"
    assert any("promise date" in m for m in broker.messages(backorder))


def test_an_unknown_order_type_is_brokered_as_standard_with_the_reason(broker: Broker) -> None:
    order_id = broker.order("A-ODD", [("WIDGET", 1)], metadata={"order_type": "layaway"})
    broker.pipeline.run_jobs()
    assert broker.state(order_id)["order_type"] == "standard"
    assert any("'layaway' is not one of" in m for m in broker.messages(order_id))
