"""The demo page over HTTP (both databases): simulating test orders and the JSON progress the page polls."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.dashboard.conftest import Shop, sign_in
from tests.pipeline.conftest import run_jobs  # noqa: F401  (fixture)
from tests.webhooks.conftest import quiet_queue  # noqa: F401  (fixture)


def _closed_warehouse(shop: Shop) -> None:
    response = shop.client.post(
        "/partner/v1/connections",
        json={"name": "WH", "type": "sandbox", "settings": {"base_url": "http://127.0.0.1:9"}},
        headers={"Authorization": f"Bearer {shop.key}"},
    )
    assert response.status_code == 201, response.text


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
    assert "3 test order(s) created; they are evaluated and routed, never sent." in page
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
