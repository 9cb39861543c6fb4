"""The demo page over HTTP (both databases): simulating test orders and the JSON progress the page polls."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.dashboard.conftest import Shop, sign_in
from tests.pipeline.conftest import Clock, clock, run_jobs, sandbox, sandbox_server  # noqa: F401  (fixtures)
from tests.webhooks.conftest import quiet_queue  # noqa: F401  (fixture)
from warpware.sandbox import SandboxServer


def _connect(shop: Shop, body: dict[str, object]) -> str:
    response = shop.client.post(
        "/partner/v1/connections", json=body, headers={"Authorization": f"Bearer {shop.key}"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def _closed_warehouse(shop: Shop) -> str:
    """A real (non-sandbox) warehouse that refuses every connection."""
    return _connect(
        shop,
        {
            "name": "WH",
            "type": "http",
            "settings": {"url": "http://127.0.0.1:9/orders"},
            "credentials": {"signing_secret": "s" * 32},
            "is_default": True,
        },
    )


def test_simulate_and_watch_progress(
    shop: Shop,
    other_shop: Shop,
    browser_client: TestClient,
    run_jobs: Callable[[], int],  # noqa: F811
    quiet_queue: None,  # noqa: F811
) -> None:
    _closed_warehouse(shop)
    shop.push("REAL-1")  # an ordinary order made before the run is not watched
    other_shop.push("THEIRS-1")
    csrf = sign_in(browser_client, shop.user("operator"))
    response = browser_client.post("/demo/simulate", data={"csrf_token": csrf, "count": "3"})
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/demo\?after=\d+", location)
    page = html.unescape(browser_client.get(location).text)
    assert (
        "3 test order(s) created; they are evaluated and routed, never sent (add a sandbox warehouse "
        "connection to watch them ship)." in page
    )
    assert len(re.findall(r'<td data-label="Order"><a href="/orders/', page)) == 3

    progress = browser_client.get(location.replace("/demo?", "/demo/progress?"))
    assert progress.status_code == 200
    data = progress.json()
    assert data["counts"] == {"pending": 3, "ready": 0, "processing": 0, "shipped": 0, "other": 0}
    assert data["total"] == 3
    assert all(o["external_id"].startswith("TEST-") for o in data["orders"])

    run_jobs()  # the pipeline evaluates and routes them; test orders are never sent
    data = browser_client.get(location.replace("/demo?", "/demo/progress?")).json()
    assert data["counts"] == {"pending": 0, "ready": 3, "processing": 0, "shipped": 0, "other": 0}
    assert {o["status"] for o in data["orders"]} == {"ready"}


@pytest.mark.parametrize("count", ["0", "101", "abc", ""])
def test_count_out_of_range_is_refused(shop: Shop, browser_client: TestClient, count: str) -> None:
    csrf = sign_in(browser_client, shop.user("operator"))
    response = browser_client.post("/demo/simulate", data={"csrf_token": csrf, "count": count})
    assert response.status_code == 303
    assert response.headers["location"] == "/demo"
    page = html.unescape(browser_client.get("/demo").text)
    assert f"Choose between 1 and 100 orders (got {count or 'nothing'})." in page
    assert browser_client.get("/demo/progress?after=0").json()["total"] == 0


def test_viewer_watches_but_cannot_simulate(shop: Shop, browser_client: TestClient) -> None:
    csrf = sign_in(browser_client, shop.user("viewer"))
    page = browser_client.get("/demo").text
    assert 'action="/demo/simulate"' not in page
    response = browser_client.post("/demo/simulate", data={"csrf_token": csrf, "count": "2"})
    assert response.status_code == 403
    assert browser_client.get("/demo/progress?after=0").json()["total"] == 0


def test_progress_needs_a_session_and_a_number(shop: Shop, browser_client: TestClient) -> None:
    response = browser_client.get("/demo/progress?after=0")
    assert response.status_code == 303
    sign_in(browser_client, shop.user("viewer"))
    assert browser_client.get("/demo/progress?after=x").status_code == 400


def test_with_a_sandbox_warehouse_demo_orders_ship_there_whatever_the_routing_rules_say(
    shop: Shop,
    browser_client: TestClient,
    sandbox: httpx.Client,  # noqa: F811
    sandbox_server: SandboxServer,  # noqa: F811
    clock: Clock,  # noqa: F811
    run_jobs: Callable[[], int],  # noqa: F811
    quiet_queue: None,  # noqa: F811
) -> None:
    # Given a real warehouse that a routing rule sends everything to, and a sandbox warehouse
    real = _closed_warehouse(shop)
    rule = shop.client.post(
        "/partner/v1/rules",
        json={"name": "All to WH", "stage": "routing", "actions": [{"type": "route", "connection_id": real}]},
        headers={"Authorization": f"Bearer {shop.key}"},
    )
    assert rule.status_code == 201, rule.text
    _connect(shop, {"name": "Practice", "type": "sandbox", "settings": {"base_url": sandbox_server.url}})
    csrf = sign_in(browser_client, shop.user("operator"))

    # When an operator runs the demo and the workers run
    response = browser_client.post("/demo/simulate", data={"csrf_token": csrf, "count": "2"})
    location = response.headers["location"]
    page = html.unescape(browser_client.get(location).text)
    assert "2 demo order(s) created; they go through every stage to your sandbox warehouse" in page
    progress_url = location.replace("/demo?", "/demo/progress?")
    run_jobs()
    sent = browser_client.get(progress_url).json()
    clock.advance(120)  # past the tracking poll; the sandbox ships at once (ship_delay 0)
    run_jobs()
    shipped = browser_client.get(progress_url).json()

    # Then they went to the sandbox, never to the real warehouse, and reached Shipped
    assert sent["counts"] == {"pending": 0, "ready": 0, "processing": 2, "shipped": 0, "other": 0}
    assert shipped["counts"] == {"pending": 0, "ready": 0, "processing": 0, "shipped": 2, "other": 0}
    received = sandbox.get("/_sandbox/orders").json()
    assert received["count"] == 2
    assert sorted(o["received"]["referenceNum"] for o in received["orders"]) == sorted(
        o["id"] for o in shipped["orders"]
    )
    for order in shipped["orders"]:
        detail = shop.client.get(
            f"/partner/v1/orders/{order['id']}", headers={"Authorization": f"Bearer {shop.key}"}
        ).json()["data"]
        assert (detail["route_destination_label"], detail["route_assigned_by"]) == ("Practice", "demo")
        assert detail["tags"] == ["WARPWARE_DEMO"]
