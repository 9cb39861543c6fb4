"""The dashboard in a real headless Chromium against the real server, on SQLite and PostgreSQL.

Screenshots of the pages are saved under build/screenshots/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.dashboard.conftest import Shop, screenshot

pytestmark = pytest.mark.browser


def _sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/orders")
    page.wait_for_url(f"{base}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_find_an_order_and_open_it(shop: Shop, live_server: str, page: Any, db: Any) -> None:
    shop.push(
        "WEB-1001",
        customer_email="ann@example.com",
        line_items=[{"sku": "MUG-RED", "quantity": 2, "price": 12.5}],
    )
    target = shop.push(
        "WEB-1002",
        customer_email="bob@example.com",
        line_items=[{"sku": "TEE-BLUE-M", "quantity": 1, "price": 20}],
    )
    shop.push("WEB-1003")
    login = shop.user("operator")

    # A wrong password is refused with a message, then the right one lands on the orders list.
    _sign_in(page, live_server, login.email, "not the password")
    assert page.get_by_role("alert").inner_text() == "Wrong email or password"
    screenshot(page, f"sign-in-error-{db.dialect}")
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/orders")

    tabs = page.get_by_role("navigation", name="Order status")
    assert tabs.get_by_role("link", name="All 3").is_visible()
    assert tabs.get_by_role("link", name="Pending 3").is_visible()
    assert tabs.get_by_role("link", name="Held 0").is_visible()
    rows = page.locator("table.orders tbody tr")
    assert rows.count() == 3
    screenshot(page, f"orders-{db.dialect}")

    # Search by external id.
    page.get_by_label("Search").fill("WEB-1002")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"/orders\?q=WEB-1002&"))
    assert rows.count() == 1
    assert rows.first.get_by_role("link").inner_text() == "WEB-1002"

    # Search by SKU.
    page.get_by_label("Search").fill("MUG-RED")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"/orders\?q=MUG-RED&"))
    assert rows.count() == 1
    assert rows.first.get_by_role("link").inner_text() == "WEB-1001"

    # Open the detail of the order found by external id.
    page.get_by_label("Search").fill("WEB-1002")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="WEB-1002").click()
    page.wait_for_url(f"{live_server}/orders/{target['id']}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Order WEB-1002")
    assert page.get_by_role("cell", name="TEE-BLUE-M").is_visible()
    assert "bob@example.com" in page.locator("section", has_text="Summary").inner_text()
    assert page.locator("ol.timeline li").count() >= 1
    screenshot(page, f"order-detail-{db.dialect}")

    # An operator can hold it from the page (CSRF token in the form), and sees the result.
    page.get_by_label("Hold reason").fill("Customer called")
    page.get_by_role("button", name="Hold").click()
    assert page.get_by_role("status").inner_text() == "Order WEB-1002 is on hold."
    assert "Customer called" in page.locator("section", has_text="Summary").inner_text()


def test_phone_width_and_sign_out(shop: Shop, live_server: str, page: Any, db: Any) -> None:
    shop.push("PHONE-1")
    login = shop.user("viewer")
    page.set_viewport_size({"width": 375, "height": 800})
    _sign_in(page, live_server, login.email, login.password)
    page.wait_for_url(f"{live_server}/orders")
    # Nothing wider than the screen: no sideways scrolling at 375 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.get_by_role("link", name="PHONE-1").is_visible()
    screenshot(page, f"orders-phone-{db.dialect}")
    # A viewer sees no action forms on an order.
    page.get_by_role("link", name="PHONE-1").click()
    assert page.get_by_role("button", name="Hold").count() == 0
    # Placeholder pages render inside the layout.
    page.get_by_role("link", name="Health").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Health"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/sign-in")
    assert page.get_by_role("status").inner_text() == "You are signed out."
    page.goto(f"{live_server}/orders")
    page.wait_for_url(f"{live_server}/sign-in")
