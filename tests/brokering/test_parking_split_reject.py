"""Unfillable parking and auto-cancel, split shipments as child orders, and rejections re-brokered."""

from __future__ import annotations

import httpx

from tests.brokering.conftest import NEAR_EAST, NEAR_WEST, Broker, facilities
from tests.pipeline.conftest import Clock
from warpware.db import Database
from warpware.pipeline.tasks import ensure_schedules

DAY = 86400


def test_unfillable_orders_are_cancelled_after_their_date_unless_held(
    db: Database, broker: Broker, clock: Clock
) -> None:
    broker.settings(unfillable_cancel_days=2)
    ids = {name: broker.order(name, [("GHOST", 1)]) for name in ("U-1", "U-2", "U-3", "U-4")}
    broker.pipeline.run_jobs()
    run = broker.run()
    assert (run["routed"], run["moved_to"]["unfillable"]) == (0, 4)
    state = broker.state(ids["U-1"])
    assert state["brokering_queue"] == "unfillable" and state["auto_cancel_at"] is not None
    assert any("cancelled automatically on" in m for m in broker.messages(ids["U-1"]))
    assert len(broker.queue("unfillable")) == 4
    assert broker.run()["moved_to"]["unfillable"] == 0  # still unfillable: no new move, same date

    # Hold one by id, one in bulk, one by CSV: none of them is cancelled automatically any more.
    single = broker.tenant.post(f"/partner/v1/orders/{ids['U-1']}/unfillable-hold")
    assert single.status_code == 200, single.text
    assert single.json()["data"]["brokering_queue"] == "unfillable_hold"
    assert single.json()["data"]["auto_cancel_at"] is None
    assert broker.tenant.post(f"/partner/v1/orders/{ids['U-1']}/unfillable-hold").status_code == 422
    bulk = broker.tenant.post(
        "/partner/v1/brokering/unfillable-hold", json={"order_ids": [ids["U-2"], ids["U-1"]]}
    )
    assert bulk.status_code == 200, bulk.text
    results = {r["external_id"]: r["result"] for r in bulk.json()["data"]["results"]}
    assert results == {"U-2": "moved", "U-1": "already_in_unfillable_hold"}
    csv = broker.tenant.post(
        "/partner/v1/brokering/unfillable-hold", json={"csv": "external_id\nU-3\nNOT-THERE\n"}
    )
    assert csv.json()["data"]["moved"] == 1
    assert {"id": "NOT-THERE", "result": "not_found"} in csv.json()["data"]["results"]

    ensure_schedules(db)
    clock.advance(DAY)
    broker.pipeline.run_jobs()
    assert broker.get(ids["U-4"])["status"] == "pending"  # not yet
    clock.advance(DAY + 120)
    broker.pipeline.run_jobs()
    cancelled = broker.get(ids["U-4"])
    assert (cancelled["status"], cancelled["brokering_queue"]) == ("cancelled", None)
    assert cancelled["cancel_reason"].startswith("Unfillable: no location could fill it")
    assert "cancelled" in broker.types(ids["U-4"])
    for name in ("U-1", "U-2", "U-3"):
        assert (broker.get(ids[name])["status"], broker.get(ids[name])["brokering_queue"]) == (
            "pending",
            "unfillable_hold",
        )
    # Stock arrives: a run fills the held ones.
    broker.stock("GHOST", 10, "West")
    assert broker.run()["routed"] == 3
    assert broker.get(ids["U-1"])["status"] == "processing"


def test_a_split_order_ships_as_children_and_the_parent_follows(
    broker: Broker, sandbox: httpx.Client, clock: Clock
) -> None:
    broker.settings(allow_split=True)
    broker.stock("LEFT", 5, "East")
    broker.stock("RIGHT", 5, "West")
    parent = broker.order("S-1", [("LEFT", 2), ("RIGHT", 1)], zip=NEAR_WEST)
    broker.pipeline.run_jobs()
    run = broker.run()
    assert (run["routed"], run["split"]) == (1, 1)
    children = [
        o
        for o in broker.tenant.get("/partner/v1/orders?per_page=100").json()["data"]
        if o["parent_order_id"] == parent
    ]
    assert sorted(c["external_id"] for c in children) == ["S-1.1", "S-1.2"]
    by_connection = {c["connection_id"]: c for c in children}
    assert set(by_connection) == {broker.east, broker.west}
    assert [(li["sku"], li["quantity"]) for li in by_connection[broker.east]["line_items"]] == [("LEFT", 2)]
    assert [(li["sku"], li["quantity"]) for li in by_connection[broker.west]["line_items"]] == [("RIGHT", 1)]
    sent = facilities(sandbox)
    assert sent[by_connection[broker.east]["id"]] == [2] and sent[by_connection[broker.west]["id"]] == [3]
    assert parent not in sent
    got = broker.get(parent)
    assert (got["status"], got["connection_id"], got["brokering_queue"]) == ("processing", None, None)
    assert [(li["sku"], li["quantity"]) for li in got["line_items"]] == [("LEFT", 2), ("RIGHT", 1)]
    assert broker.types(parent).count("split") == 2
    assert broker.level("LEFT", "East") == (5, 2) and broker.level("RIGHT", "West") == (5, 1)

    # The warehouse ships both; tracking polls bring it back and the parent follows.
    clock.advance(120)
    broker.pipeline.run_jobs()
    for child in children:
        assert broker.get(child["id"])["status"] == "shipped"
    got = broker.get(parent)
    assert got["status"] == "shipped" and got["shipped_at"] is not None
    assert broker.level("LEFT", "East") == (3, 0)


def test_parent_is_cancelled_only_when_every_child_is(broker: Broker) -> None:
    broker.settings(allow_split=True)
    broker.stock("LEFT", 5, "East")
    broker.stock("RIGHT", 5, "West")
    parent = broker.order("S-2", [("LEFT", 1), ("RIGHT", 1)])
    broker.pipeline.run_jobs()
    broker.run()
    children = [
        o["id"]
        for o in broker.tenant.get("/partner/v1/orders?per_page=100").json()["data"]
        if o["parent_order_id"] == parent
    ]
    assert (
        broker.tenant.post(f"/partner/v1/orders/{children[0]}/cancel", json={"reason": "x"}).status_code
        == 200
    )
    assert broker.get(parent)["status"] == "processing"
    assert (
        broker.tenant.post(f"/partner/v1/orders/{children[1]}/cancel", json={"reason": "x"}).status_code
        == 200
    )
    assert broker.get(parent)["status"] == "cancelled"


def test_a_rejected_order_is_rebrokered_elsewhere_until_no_location_is_left(broker: Broker) -> None:
    broker.stock("WIDGET", 5, "East")
    broker.stock("WIDGET", 5, "West")
    order_id = broker.order("R-1", [("WIDGET", 2)], zip=NEAR_WEST)
    broker.pipeline.run_jobs()
    broker.run()
    assert broker.get(order_id)["connection_id"] == broker.west
    assert broker.level("WIDGET", "West") == (5, 2)

    wrong = broker.tenant.post(
        f"/partner/v1/orders/{order_id}/reject", json={"reason": "damaged", "location_id": broker.east}
    )
    assert wrong.status_code == 422
    rejected = broker.tenant.post(
        f"/partner/v1/orders/{order_id}/reject", json={"reason": "damaged stock", "location_id": broker.west}
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["data"]["queue"] == "rejected"
    got = broker.get(order_id)
    assert (got["status"], got["connection_id"], got["brokering_queue"]) == ("pending", None, "rejected")
    assert broker.level("WIDGET", "West") == (5, 0)  # the units are given back
    assert broker.queue("rejected")[0]["id"] == order_id

    run = broker.run(queues=["rejected"])
    assert run["routed"] == 1
    got = broker.get(order_id)
    assert (got["status"], got["connection_id"]) == ("processing", broker.east)
    assert broker.level("WIDGET", "East") == (5, 2)

    assert (
        broker.tenant.post(f"/partner/v1/orders/{order_id}/reject", json={"reason": "no staff"}).status_code
        == 200
    )
    run = broker.run()
    assert (run["routed"], run["moved_to"]["unfillable"]) == (0, 1)
    state = broker.state(order_id)
    assert state["brokering_queue"] == "unfillable"
    assert sorted(state["excluded_location_ids"]) == sorted(
        r["location_id"]
        for r in broker.tenant.get("/partner/v1/brokering/locations").json()["data"]
        if r["name"] in ("East", "West")
    )
    assert "rejected this order" in str(state["reason"])
    assert broker.level("WIDGET", "East") == (5, 0)


def test_rejected_lines_move_to_a_child_that_is_brokered_elsewhere(broker: Broker) -> None:
    broker.stock("KEEP", 5, "East")
    broker.stock("DROP", 5, "East")
    broker.stock("DROP", 5, "West")
    order_id = broker.order("R-2", [("KEEP", 1), ("DROP", 3)], zip=NEAR_EAST)
    broker.pipeline.run_jobs()
    broker.run()
    assert broker.get(order_id)["connection_id"] == broker.east
    drop_line = next(li["line_id"] for li in broker.state(order_id)["line_items"] if li["sku"] == "DROP")
    unknown = broker.tenant.post(
        f"/partner/v1/orders/{order_id}/reject", json={"reason": "x", "line_ids": [999999999]}
    )
    assert unknown.status_code == 422
    rejected = broker.tenant.post(
        f"/partner/v1/orders/{order_id}/reject", json={"reason": "shelf empty", "line_ids": [drop_line]}
    )
    assert rejected.status_code == 200, rejected.text
    child_id = rejected.json()["data"]["child_order_id"]
    assert rejected.json()["data"]["rejected"] == "lines"
    kept = broker.get(order_id)
    assert (kept["status"], kept["connection_id"]) == ("processing", broker.east)
    assert [li["sku"] for li in kept["line_items"]] == ["KEEP"]
    child = broker.get(child_id)
    assert (child["external_id"], child["brokering_queue"], child["parent_order_id"]) == (
        "R-2.1",
        "rejected",
        order_id,
    )
    assert broker.level("DROP", "East") == (5, 0) and broker.level("KEEP", "East") == (5, 1)
    assert broker.run()["routed"] == 1
    child = broker.get(child_id)
    assert (child["status"], child["connection_id"]) == ("processing", broker.west)
    assert broker.level("DROP", "West") == (5, 3)
    # A pending order cannot be rejected; it is not at a location.
    other = broker.order("R-3", [("NONE", 1)])
    broker.pipeline.run_jobs()
    assert broker.tenant.post(f"/partner/v1/orders/{other}/reject", json={"reason": "x"}).status_code == 422


def test_cancelling_a_split_order_cancels_its_shipments(broker: Broker) -> None:
    broker.settings(allow_split=True)
    broker.stock("LEFT", 5, "East")
    broker.stock("RIGHT", 5, "West")
    parent = broker.order("S-3", [("LEFT", 1), ("RIGHT", 2)])
    broker.pipeline.run_jobs()
    broker.run()
    children = [
        o["id"]
        for o in broker.tenant.get("/partner/v1/orders?per_page=100").json()["data"]
        if o["parent_order_id"] == parent
    ]
    assert len(children) == 2
    assert broker.level("RIGHT", "West") == (5, 2)
    cancelled = broker.tenant.post(
        f"/partner/v1/orders/{parent}/cancel", json={"reason": "customer changed mind"}
    )
    assert cancelled.status_code == 200, cancelled.text
    for child in children:
        got = broker.get(child)
        assert (got["status"], got["cancel_reason"]) == ("cancelled", "its order S-3 was cancelled")
    assert broker.level("RIGHT", "West") == (5, 0) and broker.level("LEFT", "East") == (5, 0)
    assert broker.get(parent)["status"] == "cancelled"
