"""The health panel over HTTP (both databases): exact counts, stuck orders, connection rates, error
groups and the per-hour chart numbers for a known set of orders made at fixed times."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import settings_for
from tests.dashboard.conftest import Shop, sign_in
from tests.pipeline.conftest import Clock, clock, run_jobs  # noqa: F401  (fixtures)
from tests.webhooks.conftest import quiet_queue  # noqa: F401  (fixture)
from warpware.app import create_app
from warpware.config import get_settings

NOW = dt.datetime(2026, 5, 10, 12, 40, tzinfo=dt.UTC)
STATUSES = ("pending", "ready", "processing", "shipped", "delivered", "hold", "failed", "cancelled")


def _api(shop: Shop, method: str, path: str, **kw: Any) -> dict[str, Any]:
    response = shop.client.request(
        method, f"/partner/v1{path}", headers={"Authorization": f"Bearer {shop.key}"}, **kw
    )
    assert response.status_code in (200, 201), response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _at(clock: Clock, when: dt.datetime) -> None:  # noqa: F811
    clock.now = when


def _chart_rows(page: str) -> dict[str, list[int]]:
    rows = re.findall(r'<tr data-hour="([^"]+)">(.*?)</tr>', page, re.S)
    return {hour: [int(n) for n in re.findall(r'class="num">(\d+)</td>', cells)] for hour, cells in rows}


def _text(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">(.*?)</dd>', page, re.S)
    assert match, element_id
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).split())


def test_health_numbers_and_chart_are_exact(
    shop: Shop,
    browser_client: TestClient,
    clock: Clock,  # noqa: F811
    run_jobs: Callable[[], int],  # noqa: F811
    quiet_queue: None,  # noqa: F811
) -> None:
    day1 = dt.datetime(2026, 5, 8, tzinfo=dt.UTC)
    day3 = dt.datetime(2026, 5, 10, tzinfo=dt.UTC)
    _at(clock, day1.replace(hour=12, minute=50))
    shop.push("OLD-1")  # before the chart's first hour
    run_jobs()
    _at(clock, day1.replace(hour=13, minute=10))
    shop.push("A-1")
    run_jobs()  # no connection yet: both stay pending (unrouted)
    _at(clock, day3.replace(hour=10, minute=15))
    shop.push("B-1")
    b2 = shop.push("B-2")
    run_jobs()
    _at(clock, day3.replace(hour=10, minute=20))
    _api(shop, "POST", f"/orders/{b2['id']}/hold", json={"reason": "check"})
    _at(clock, day3.replace(hour=11))
    _api(
        shop,
        "POST",
        "/connections",
        json={
            "name": "Closed warehouse",
            "type": "sandbox",
            "settings": {"base_url": "http://127.0.0.1:9"},
            "is_default": True,
        },
    )
    f1 = shop.push("F-1")
    run_jobs()  # the send fails (connection refused)
    _at(clock, day3.replace(hour=11, minute=50))
    test_order = _api(shop, "POST", "/orders/simulate", json={"count": 1})["orders"][0]
    run_jobs()  # the test order is routed (ready, never sent); F-1's automatic retry fails again
    _at(clock, day3.replace(hour=12, minute=5))
    shop.push("C-1")
    shop.push("C-2")
    c3 = shop.push("C-3")
    _api(shop, "PATCH", f"/orders/{c3['id']}", json={"status": "cancelled"})
    _at(clock, NOW)
    assert _api(shop, "GET", f"/orders/{f1['id']}")["status"] == "failed"
    assert _api(shop, "GET", f"/orders/{test_order['id']}")["status"] == "ready"

    sign_in(browser_client, shop.user("viewer"))  # a viewer may look at the health panel
    response = browser_client.get("/health")
    assert response.status_code == 200
    page = response.text
    assert _text(page, "stat-failed") == "1"
    assert _text(page, "stat-attention") == "0"
    assert _text(page, "stat-held") == "1"
    assert _text(page, "stat-stuck") == "3"
    assert _text(page, "stat-oldest-ready") == f"{test_order['external_id']} (50 min)"
    stuck = re.findall(r'<a href="/orders/[0-9a-f-]{36}">([^<]+)</a> · (\w+) since', page)
    assert stuck == [("OLD-1", "pending"), ("A-1", "pending"), ("B-1", "pending")]

    connection_row = re.search(r"<th scope=\"row\">Closed warehouse.*?</tr>", page, re.S)
    assert connection_row
    cells = re.findall(r'class="num">([^<]+)</td>', connection_row.group(0))
    assert cells == ["1", "1", "0.0%", "2", "2", "0.0%"]
    errors = re.search(r'<table class="error-groups">.*?</table>', page, re.S)
    assert errors
    rows = re.findall(
        r"<tr><td data-label=\"Message\">([^<]+)</td><td[^>]*>(\d+)</td><td[^>]*>([^<]+)</td>",
        errors.group(0),
    )
    assert [(count, where) for _, count, where in rows] == [("2", "Closed warehouse")]

    chart = _chart_rows(page)
    assert len(chart) == 48
    assert list(chart)[0] == "2026-05-08T13" and list(chart)[-1] == "2026-05-10T12"

    def row(**counts: int) -> list[int]:
        values = [counts.get(s, 0) for s in STATUSES]
        return [*values, sum(values)]

    expected = {hour: row() for hour in chart}
    expected["2026-05-08T13"] = row(pending=1)
    expected["2026-05-10T10"] = row(pending=1, hold=1)
    expected["2026-05-10T11"] = row(ready=1, failed=1)
    expected["2026-05-10T12"] = row(pending=2, cancelled=1)
    assert chart == expected
    # The SVG names every bar segment (its <title>) and the chart as a whole.
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in page
    segments = re.findall(r"<rect [^>]*><title>([^<]+)</title></rect>", page)
    assert segments == [
        "2026-05-08 13:00 UTC, pending: 1",
        "2026-05-10 10:00 UTC, pending: 1",
        "2026-05-10 10:00 UTC, hold: 1",
        "2026-05-10 11:00 UTC, ready: 1",
        "2026-05-10 11:00 UTC, failed: 1",
        "2026-05-10 12:00 UTC, pending: 2",
        "2026-05-10 12:00 UTC, cancelled: 1",
    ]


def test_health_shows_only_the_accounts_own_orders(
    shop: Shop, other_shop: Shop, browser_client: TestClient
) -> None:
    theirs = other_shop.push("THEIRS-1")
    _api(other_shop, "POST", f"/orders/{theirs['id']}/hold", json={"reason": "x"})
    sign_in(browser_client, shop.user("operator"))
    page = browser_client.get("/health").text
    assert _text(page, "stat-held") == "0"
    assert _text(page, "stat-failed") == "0"
    assert "THEIRS-1" not in page
    assert sum(sum(r) for r in _chart_rows(page).values()) == 0


def test_health_needs_a_session(browser_client: TestClient) -> None:
    response = browser_client.get("/health")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fhealth"


def test_failing_webhook_endpoints_are_listed(
    shop: Shop,
    browser_client: TestClient,
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
    run_jobs: Callable[[], int],  # noqa: F811
    quiet_queue: None,  # noqa: F811
) -> None:
    # The receiver is on 127.0.0.1 (refusing connections): private targets allowed for the API and workers.
    monkeypatch.setenv("WARPWARE_ALLOW_PRIVATE_WEBHOOKS", "1")
    get_settings.cache_clear()
    try:
        with TestClient(create_app(settings_for(db, allow_private_webhooks=True), database=db)) as api:
            headers = {"Authorization": f"Bearer {shop.key}"}
            endpoint = api.post(
                "/partner/v1/webhooks",
                json={"url": "http://127.0.0.1:9/hooks", "events": ["order.created"]},
                headers=headers,
            )
            assert endpoint.status_code == 201, endpoint.text
            endpoint_id = endpoint.json()["data"]["id"]
            healthy = api.post(
                "/partner/v1/webhooks",
                json={"url": "http://127.0.0.1:9/other", "events": ["order.created"]},
                headers=headers,
            )
            assert healthy.status_code == 201, healthy.text
            sent = api.post(f"/partner/v1/webhooks/{endpoint_id}/test", headers=headers)
            assert sent.status_code == 202, sent.text
        run_jobs()  # the delivery fails: connection refused
    finally:
        get_settings.cache_clear()
    sign_in(browser_client, shop.user("viewer"))
    page = browser_client.get("/health").text
    listed = re.search(r'<ul class="plain" id="failing-webhooks">(.*?)</ul>', page, re.S)
    assert listed
    items = [
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", li)).split())
        for li in re.findall(r"<li>(.*?)</li>", listed.group(1), re.S)
    ]
    assert len(items) == 1
    assert items[0].startswith("http://127.0.0.1:9/hooks — 1 failed attempt in a row since ")
