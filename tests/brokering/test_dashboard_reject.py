"""A location's rejection from the dashboard's order page (both databases): the same service as the API."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from tests.brokering.conftest import NEAR_WEST, Broker
from tests.dashboard.conftest import browser_client, make_user, sign_in  # noqa: F401  (fixture)
from warpware.db import Database


def test_an_operator_rejects_a_brokered_order_from_its_page_and_it_is_rebrokered(
    broker: Broker,
    db: Database,
    browser_client: TestClient,  # noqa: F811
) -> None:
    # Given an order brokering placed at West
    broker.stock("WIDGET", 5, "East")
    broker.stock("WIDGET", 5, "West")
    order_id = broker.order("DR-1", [("WIDGET", 2)], zip=NEAR_WEST)
    broker.pipeline.run_jobs()
    broker.run()
    assert broker.get(order_id)["connection_id"] == broker.west
    operator = make_user(db, broker.tenant.account, "operator")
    csrf = sign_in(browser_client, operator)
    page = browser_client.get(f"/orders/{order_id}").text
    assert f'action="/orders/{order_id}/reject"' in page

    # When the operator rejects it without a reason, then with one
    missing = browser_client.post(f"/orders/{order_id}/reject", data={"csrf_token": csrf, "reason": ""})
    refused_page = html.unescape(browser_client.get(missing.headers["location"]).text)
    done = browser_client.post(
        f"/orders/{order_id}/reject", data={"csrf_token": csrf, "reason": "water damage", "skus": ""}
    )

    # Then the first is refused with nothing changed, the second sends it back to brokering
    assert "Say why the location rejects it." in refused_page
    assert done.status_code == 303
    shown = html.unescape(browser_client.get(done.headers["location"]).text)
    assert "The order rejected by the location; the next brokering run places it elsewhere." in shown
    got = broker.get(order_id)
    assert (got["status"], got["brokering_queue"]) == ("pending", "rejected")
    assert broker.level("WIDGET", "West") == (5, 0)
    rejected = [e for e in broker.pipeline.events(order_id) if e["type"] == "rejected"]
    assert len(rejected) == 1 and rejected[0]["actor"] == f"user:{operator.email}"
    broker.run(queues=["rejected"])
    assert broker.get(order_id)["connection_id"] == broker.east


def test_a_viewer_cannot_reject(
    broker: Broker,
    db: Database,
    browser_client: TestClient,  # noqa: F811
) -> None:
    broker.stock("WIDGET", 5, "West")
    order_id = broker.order("DR-2", [("WIDGET", 1)], zip=NEAR_WEST)
    broker.pipeline.run_jobs()
    broker.run()
    csrf = sign_in(browser_client, make_user(db, broker.tenant.account, "viewer"))
    assert 'action="/orders/' + order_id + '/reject"' not in browser_client.get(f"/orders/{order_id}").text
    response = browser_client.post(f"/orders/{order_id}/reject", data={"csrf_token": csrf, "reason": "x"})
    assert response.status_code == 403
    assert broker.get(order_id)["connection_id"] == broker.west
