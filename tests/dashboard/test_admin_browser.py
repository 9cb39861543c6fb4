"""The admin pages in a real headless Chromium against the real server, on SQLite and PostgreSQL:
an API key created in the UI pushes an order; a hold rule added in the UI holds a new order; a sandbox
destination added in the UI passes its test; a webhook registered in the UI receives a test event.

Screenshots go to build/screenshots/. Jobs run through the real worker (`run_jobs`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import order_body
from tests.dashboard.conftest import Login, Shop, screenshot
from tests.pipeline.conftest import run_jobs, sandbox, sandbox_server  # noqa: F401  (fixtures)
from tests.webhooks.conftest import quiet_queue, receiver, worker_env  # noqa: F401  (fixtures)
from tests.webhooks.receiver import Receiver
from warpware.sandbox import SandboxServer

pytestmark = pytest.mark.browser


def _sign_in(page: Any, base: str, login: Login) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/orders")


def test_create_an_api_key_in_the_ui_and_push_an_order_with_it(
    shop: Shop, live_server: str, page: Any, db: Any
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    _sign_in(page, live_server, shop.user("admin"))
    page.get_by_role("link", name="Connections").click()
    page.wait_for_url(f"{live_server}/connections")
    page.get_by_text("Add integration → Custom API Integration").click()
    page.get_by_label("Integration name").fill("Storefront sync")
    page.get_by_role("button", name="Create API key").click()
    assert page.get_by_role("heading", level=1).inner_text() == "API key for Storefront sync"
    assert "You won't see this key again." in page.locator(".secret-once").inner_text()
    key = page.get_by_label("API key (read,write)").input_value()
    assert re.fullmatch(r"ww_live_[0-9a-f]{32}", key)
    page.get_by_role("button", name="Copy to clipboard").click()
    page.locator(".copy-status", has_text="Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key
    screenshot(page, f"api-key-created-{db.dialect}")

    response = httpx.post(
        f"{live_server}/partner/v1/orders",
        json=order_body("UI-KEY-1"),
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text

    page.get_by_role("link", name="Done").click()
    row = page.locator("table.integrations tr", has_text="Storefront sync")
    assert row.locator('td[data-label="Orders pushed"]').inner_text() == "1"
    assert key not in page.content()
    screenshot(page, f"connections-{db.dialect}")


def test_a_sandbox_destination_and_a_hold_rule_added_in_the_ui_hold_a_new_order(
    shop: Shop,
    live_server: str,
    page: Any,
    db: Any,
    sandbox_server: SandboxServer,  # noqa: F811
    sandbox: httpx.Client,  # noqa: F811
    run_jobs: Callable[[], int],  # noqa: F811
    quiet_queue: None,  # noqa: F811
) -> None:
    _sign_in(page, live_server, shop.user("admin"))

    # A sandbox destination, made the default, and its test button.
    page.goto(f"{live_server}/connections/new")
    page.get_by_role("link", name="Sandbox warehouse").click()
    page.get_by_label("Name", exact=False).first.fill("Sandbox WH")
    page.get_by_label("Base url").fill(sandbox_server.url)
    page.get_by_label("Client secret").fill("sandbox-secret-value")
    page.get_by_label("Default destination").check()
    screenshot(page, f"connection-form-{db.dialect}")
    page.get_by_role("button", name="Add connection").click()
    assert page.get_by_role("status").inner_text() == "Connection Sandbox WH added."
    page.get_by_role("button", name="Test connection").click()
    assert page.get_by_role("status").inner_text() == "Test of Sandbox WH succeeded: Connection works."
    assert "sandbox-secret-value" not in page.content()

    # A hold rule from the form; a mistake first, shown next to its field.
    page.get_by_role("link", name="Rules").click()
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name", exact=True).fill("Hold big orders")
    page.get_by_label("Stage", exact=True).select_option("hold")
    page.get_by_label("Conditions").fill("all:\n  - field: order_value\n    op: greater\n    value: 50\n")
    page.get_by_label("Actions").fill("- type: hold\n  reason: Over $50, check first\n")
    page.get_by_role("button", name="Create rule").click()
    assert (
        "conditions.all[0].op: unknown operator 'greater'" in page.locator("#conditions-error").inner_text()
    )
    screenshot(page, f"rule-form-error-{db.dialect}")
    page.get_by_label("Conditions").fill("all:\n  - field: order_value\n    op: gt\n    value: 50\n")
    page.get_by_role("button", name="Create rule").click()
    page.wait_for_url(f"{live_server}/rules")
    assert page.get_by_role("status").inner_text() == "Rule Hold big orders created."
    screenshot(page, f"rules-{db.dialect}")

    # Try it on a pasted order first (stores nothing).
    page.get_by_role("link", name="Try rules on an order").click()
    page.get_by_role("button", name="Try").click()  # the example order: 2 × 300
    assert page.get_by_role("heading", name="Result: held").is_visible()
    assert "Hold big orders" in page.locator("ul.matches").inner_text()
    screenshot(page, f"rules-try-{db.dialect}")

    # A new order pushed through the API is held by the rule once the worker has run.
    held = shop.push("UI-HOLD-1")  # 2 × 29.99
    run_jobs()
    page.goto(f"{live_server}/orders/{held['id']}")
    assert page.locator("h1 .badge").get_attribute("class") == "badge status-hold"
    assert "Over $50, check first" in page.locator("section", has_text="Summary").inner_text()
    screenshot(page, f"order-held-by-rule-{db.dialect}")


def test_register_a_webhook_and_send_a_test(
    shop: Shop,
    live_server: str,
    page: Any,
    db: Any,
    receiver: Receiver,  # noqa: F811
    run_jobs: Callable[[], int],  # noqa: F811
) -> None:
    _sign_in(page, live_server, shop.user("admin"))
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("order.created").check()
    page.get_by_role("button", name="Register endpoint").click()
    assert "You won't see this secret again." in page.locator(".secret-once").inner_text()
    secret = page.get_by_role("textbox", name="Secret").input_value()
    assert secret.startswith("whsec_")
    screenshot(page, f"webhook-secret-{db.dialect}")
    page.get_by_role("link", name="Go to the endpoint").click()
    page.get_by_role("button", name="Send test event").click()
    assert page.get_by_role("status").inner_text().startswith("Test event queued")
    run_jobs()
    [received] = receiver.accepted()
    received.verify(secret)
    page.reload()
    row = page.locator("table.deliveries tbody tr").first
    assert row.locator('td[data-label="Event"]').inner_text() == "webhook.test"
    assert row.locator('td[data-label="Status"]').inner_text() == "delivered"
    assert row.locator('td[data-label="HTTP"]').inner_text() == "200"
    assert secret not in page.content()
    screenshot(page, f"webhook-endpoint-{db.dialect}")
    page.get_by_role("link", name="← Webhooks").click()
    assert "100%" in page.locator("table.webhooks").inner_text()
    screenshot(page, f"webhooks-{db.dialect}")


def test_users_page_add_a_user_and_phone_width(shop: Shop, live_server: str, page: Any, db: Any) -> None:
    _sign_in(page, live_server, shop.user("admin"))
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Email").fill("new.person@example.com")
    page.get_by_label("Name").fill("New Person")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Add user").click()
    assert page.get_by_role("heading", level=1).inner_text() == "User new.person@example.com added as viewer"
    assert len(page.get_by_role("textbox", name="Password").input_value()) >= 12
    page.get_by_role("link", name="Done").click()
    assert page.locator('tr[data-user="new.person@example.com"]').is_visible()
    screenshot(page, f"users-{db.dialect}")
    page.set_viewport_size({"width": 375, "height": 800})
    for path in ("/users", "/connections", "/rules", "/webhooks"):
        page.goto(f"{live_server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    screenshot(page, f"webhooks-phone-{db.dialect}")
