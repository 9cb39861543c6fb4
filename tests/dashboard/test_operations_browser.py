"""Order actions, the health panel and the live demo in headless Chromium against the real server
(both databases). Screenshots of the detail, health and demo pages go to build/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.dashboard.conftest import Shop, screenshot
from tests.pipeline.conftest import Clock, clock, run_jobs, sandbox, sandbox_server  # noqa: F401  (fixtures)
from tests.webhooks.conftest import quiet_queue  # noqa: F401  (fixture)
from warpware.sandbox import SandboxServer

pytestmark = pytest.mark.browser


def _sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/orders")


def _closed_warehouse(shop: Shop) -> None:
    response = shop.client.post(
        "/partner/v1/connections",
        json={
            "name": "Closed warehouse",
            "type": "sandbox",
            "settings": {"base_url": "http://127.0.0.1:9"},
            "is_default": True,
        },
        headers={"Authorization": f"Bearer {shop.key}"},
    )
    assert response.status_code == 201, response.text


def _flash(page: Any) -> str:
    return str(page.locator(".flash").inner_text()).strip()


def test_find_hold_release_edit_and_retry(
    shop: Shop,
    live_server: str,
    page: Any,
    db: Any,
    run_jobs: Callable[[], int],  # noqa: F811
    quiet_queue: None,  # noqa: F811
) -> None:
    shop.push("WEB-2001", line_items=[{"sku": "MUG-RED", "quantity": 2, "price": 12.5}])
    shop.push("WEB-2002")
    login = shop.user("operator")
    _sign_in(page, live_server, login.email, login.password)

    # Find the order and open it.
    page.get_by_label("Search").fill("WEB-2001")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"/orders\?q=WEB-2001"))
    page.get_by_role("link", name="WEB-2001").click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    order_url = page.url

    # Hold with a reason, then release.
    page.get_by_label("Hold reason").fill("Customer called")
    page.get_by_role("button", name="Hold").click()
    page.wait_for_url(order_url)
    assert _flash(page) == "Order WEB-2001 is on hold."
    assert page.locator("#order-status").inner_text() == "Held"
    assert "Order held by user:" in page.locator(".timeline li").first.inner_text()
    page.get_by_role("button", name="Release").click()
    page.wait_for_url(order_url)
    assert _flash(page) == "Order WEB-2001 is released."
    assert page.locator("#order-status").inner_text() == "Pending"

    # Edit the address: the change is on the timeline, field by field.
    page.get_by_text("Edit address").click()
    page.get_by_label("Address line 1").fill("77 Harbor Rd")
    page.get_by_label("ZIP").fill("10014")
    page.get_by_role("button", name="Save address").click()
    page.wait_for_url(order_url)
    assert _flash(page) == "Shipping address updated (address1, zip)."
    assert "77 Harbor Rd" in page.locator("address").inner_text()
    newest = page.locator(".timeline li").first.inner_text()
    assert "address1: 123 Main St → 77 Harbor Rd" in newest
    assert "zip: 10001 → 10014" in newest
    screenshot(page, f"order-detail-{db.dialect}")
    # At a phone's width the page still fits (no sideways scrolling).
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"order-detail-phone-{db.dialect}")
    page.set_viewport_size({"width": 1280, "height": 900})

    # A failed order (its warehouse refuses connections) is retried from its page.
    _closed_warehouse(shop)
    failed = shop.push("WEB-2003")
    run_jobs()
    page.goto(f"{live_server}/orders?status=failed")
    page.get_by_role("link", name="WEB-2003").click()
    page.wait_for_url(f"{live_server}/orders/{failed['id']}")
    assert page.locator("#order-status").inner_text() == "Failed"
    assert page.locator(".error-message").is_visible()
    screenshot(page, f"order-detail-failed-{db.dialect}")
    page.get_by_role("button", name="Retry").click()
    page.wait_for_url(f"{live_server}/orders/{failed['id']}")
    assert _flash(page) == "Order WEB-2003 is queued to be sent again."
    assert page.locator("#order-status").inner_text() == "Ready"
    assert "Retry requested by user:" in page.locator(".timeline").inner_text()

    # The health panel counts the failures once the retry fails again (the first two orders, still
    # pending, were routed to the same warehouse by that run and failed too).
    run_jobs()
    page.goto(f"{live_server}/health")
    assert page.locator("#stat-failed").inner_text() == "3"
    assert page.get_by_role("img", name="Orders per status per hour, last 48 hours").is_visible()
    screenshot(page, f"health-{db.dialect}")


def test_demo_counts_change_live_without_reload(
    shop: Shop,
    live_server: str,
    page: Any,
    db: Any,
    sandbox: httpx.Client,  # noqa: F811
    sandbox_server: SandboxServer,  # noqa: F811
    clock: Clock,  # noqa: F811
    run_jobs: Callable[[], int],  # noqa: F811
    quiet_queue: None,  # noqa: F811
) -> None:
    response = shop.client.post(
        "/partner/v1/connections",
        json={"name": "Sandbox", "type": "sandbox", "settings": {"base_url": sandbox_server.url}},
        headers={"Authorization": f"Bearer {shop.key}"},
    )
    assert response.status_code == 201, response.text
    login = shop.user("operator")
    _sign_in(page, live_server, login.email, login.password)
    page.goto(f"{live_server}/demo")
    page.get_by_label("Number of orders (1–100)").fill("5")
    page.get_by_role("button", name="Simulate orders").click()
    page.wait_for_url(re.compile(r"/demo\?after=\d+$"))
    pending = page.locator('[data-stage="pending"] .n')
    sent = page.locator('[data-stage="processing"] .n')
    shipped = page.locator('[data-stage="shipped"] .n')
    assert (pending.inner_text(), sent.inner_text(), shipped.inner_text()) == ("5", "0", "0")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    run_jobs()  # evaluated, routed and sent to the sandbox warehouse
    expect(sent).to_have_text("5", timeout=15_000)  # the page's poll picks it up
    assert pending.inner_text() == "0"
    clock.advance(120)  # past the tracking poll; the sandbox ships at once
    run_jobs()
    expect(shipped).to_have_text("5", timeout=15_000)
    assert page.evaluate("window.__sameDocument === true")
    assert page.locator("#demo-orders tr").count() == 5
    assert page.locator("#demo-summary").inner_text() == "5 order(s) watched; 0 ready, 0 sent, 5 shipped."
    screenshot(page, f"demo-{db.dialect}")
