"""Order detail actions over HTTP (both databases): each action's effect and timeline entry, refusals in
the wrong state, roles, CSRF and account isolation, and edits of the address and lines."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.dashboard.conftest import Shop, sign_in
from tests.pipeline.conftest import run_jobs  # noqa: F401  (fixture)


def _order(shop: Shop, order_id: str) -> dict[str, Any]:
    response = shop.client.get(
        f"/partner/v1/orders/{order_id}", headers={"Authorization": f"Bearer {shop.key}"}
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _events(shop: Shop, order_id: str) -> list[dict[str, Any]]:
    response = shop.client.get(
        f"/partner/v1/orders/{order_id}/timeline?limit=200", headers={"Authorization": f"Bearer {shop.key}"}
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["data"]["events"]
    return events


def _flash(client: TestClient, response: Any) -> str:
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"]).text
    match = re.search(r'<div class="flash flash-(\w+)"[^>]*>([^<]*)</div>', page)
    assert match, "no flash message"
    return f"{match.group(1)}: {html.unescape(match.group(2))}"


def _actions(page: str) -> list[str]:
    return sorted(set(re.findall(r'action="/orders/[0-9a-f-]{36}/([a-z-]+)"', page)))


def _failed_order(shop: Shop, run: Callable[[], int], external_id: str, *, wait: bool = False) -> str:
    """An order routed to a warehouse that refuses connections, so its send fails (once the jobs run;
    `wait`: the caller runs them)."""
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
    order_id = str(shop.push(external_id)["id"])
    if not wait:
        run()
        assert _order(shop, order_id)["status"] == "failed"
    return order_id


def test_hold_and_release_with_who_and_why(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push("A-1")
    login = shop.user("operator")
    csrf = sign_in(browser_client, login)
    actor = f"user:{login.email}"

    page = browser_client.get(f"/orders/{order['id']}").text
    assert _actions(page) == ["address", "cancel", "clear-duplicate", "hold", "lines", "reset"]

    response = browser_client.post(
        f"/orders/{order['id']}/hold", data={"csrf_token": csrf, "reason": "Check the address"}
    )
    assert _flash(browser_client, response) == "success: Order A-1 is on hold."
    data = _order(shop, order["id"])
    assert data["status"] == "hold"
    held = _events(shop, order["id"])[0]
    assert (held["type"], held["actor"], held["message"]) == (
        "held",
        actor,
        f"Order held by {actor}: Check the address",
    )
    page = browser_client.get(f"/orders/{order['id']}").text
    assert _actions(page) == ["address", "archive", "cancel", "clear-duplicate", "lines", "release"]

    # Holding it again is refused with the reason; nothing is recorded.
    before = len(_events(shop, order["id"]))
    response = browser_client.post(f"/orders/{order['id']}/hold", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "error: Order is already on hold"
    assert len(_events(shop, order["id"])) == before

    response = browser_client.post(f"/orders/{order['id']}/release", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "success: Order A-1 is released."
    assert _order(shop, order["id"])["status"] == "pending"
    types = [(e["type"], e["actor"]) for e in _events(shop, order["id"])[:2]]
    assert types == [("released", actor), ("status_changed", actor)]


def test_retry_and_reset_a_failed_order(
    shop: Shop,
    browser_client: TestClient,
    run_jobs: Callable[[], int],  # noqa: F811
) -> None:
    order_id = _failed_order(shop, run_jobs, "F-1")
    login = shop.user("admin")
    csrf = sign_in(browser_client, login)
    actor = f"user:{login.email}"
    page = browser_client.get(f"/orders/{order_id}").text
    assert _actions(page) == [
        "address",
        "archive",
        "cancel",
        "clear-duplicate",
        "hold",
        "lines",
        "reset",
        "retry",
    ]
    assert "<dt>Destination</dt><dd>Closed warehouse (sandbox)</dd>" in page
    assert "<dt>Assigned by</dt><dd>default (rules)</dd>" in page

    response = browser_client.post(f"/orders/{order_id}/retry", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "success: Order F-1 is queued to be sent again."
    data = _order(shop, order_id)
    assert data["status"] == "ready"
    assert [(e["type"], e["actor"]) for e in _events(shop, order_id)[:2]] == [
        ("status_changed", actor),
        ("manual_retry", actor),
    ]
    # Ready: neither retry nor reset; retry refused with a message, nothing changed.
    response = browser_client.post(f"/orders/{order_id}/retry", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "error: Only failed orders can be retried; this order is ready"
    response = browser_client.post(f"/orders/{order_id}/reset", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == (
        "error: Only failed or pending orders can be reset; this order is ready"
    )
    assert _order(shop, order_id)["status"] == "ready"

    run_jobs()  # fails again
    assert _order(shop, order_id)["status"] == "failed"
    response = browser_client.post(f"/orders/{order_id}/reset", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == (
        "success: Order F-1 is reset and goes through the rules again."
    )
    events = _events(shop, order_id)
    assert (events[1]["type"], events[1]["actor"]) == ("reset", actor)
    assert events[1]["details"]["previous"]["connection"] == "Closed warehouse"
    assert events[1]["details"]["previous"]["status"] == "failed"
    assert (events[0]["type"], events[0]["details"]) == (
        "status_changed",
        {"old_status": "failed", "new_status": "pending", "reason": "reset"},
    )
    assert _order(shop, order_id)["status"] == "pending"


def test_cancel_archive_unarchive_and_clear_duplicate(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push("C-1")
    login = shop.user("operator")
    csrf = sign_in(browser_client, login)
    actor = f"user:{login.email}"

    # A pending order is in the pipeline's hands: it cannot be archived.
    response = browser_client.post(f"/orders/{order['id']}/archive", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == (
        "error: Only orders the pipeline is done with (or that wait for a person) can be archived; "
        "this order is pending"
    )

    response = browser_client.post(
        f"/orders/{order['id']}/cancel", data={"csrf_token": csrf, "reason": "Customer asked"}
    )
    assert _flash(browser_client, response) == "success: Order C-1 is cancelled."
    data = _order(shop, order["id"])
    assert data["status"] == "cancelled"
    event = _events(shop, order["id"])[0]
    assert (event["type"], event["actor"], event["message"]) == (
        "cancelled",
        actor,
        "Order cancelled: Customer asked",
    )
    page = browser_client.get(f"/orders/{order['id']}").text
    assert _actions(page) == ["archive", "clear-duplicate"]
    response = browser_client.post(f"/orders/{order['id']}/cancel", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "error: This order is already cancelled"
    response = browser_client.post(f"/orders/{order['id']}/reset", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == (
        "error: Only failed or pending orders can be reset; this order is cancelled"
    )

    response = browser_client.post(f"/orders/{order['id']}/archive", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "success: Order C-1 is archived."
    assert "C-1" in browser_client.get("/orders?status=archived").text
    assert "C-1" not in browser_client.get("/orders?status=cancelled").text
    assert (_events(shop, order["id"])[0]["type"], _events(shop, order["id"])[0]["actor"]) == (
        "archived",
        actor,
    )
    response = browser_client.post(f"/orders/{order['id']}/archive", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "error: This order is already archived"
    response = browser_client.post(f"/orders/{order['id']}/unarchive", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "success: Order C-1 is back from the archive."
    assert _events(shop, order["id"])[0]["type"] == "unarchived"

    response = browser_client.post(f"/orders/{order['id']}/clear-duplicate", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "success: Duplicate flag cleared: C-1 can be received again."
    assert _events(shop, order["id"])[0]["message"] == f"Duplicate flag cleared by {actor}"
    shop.push("C-1")  # the same external id is accepted again
    response = browser_client.post(f"/orders/{order['id']}/clear-duplicate", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "error: The duplicate flag of this order is already cleared"


def test_edit_address_records_each_field_before_and_after(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push("E-1")
    login = shop.user("operator")
    csrf = sign_in(browser_client, login)
    form = {
        "csrf_token": csrf,
        "name": "Jane Smith",
        "company": "Acme",
        "address1": "500 Broadway",
        "address2": "",
        "city": "New York",
        "state": "NY",
        "zip": "10012",
        "country": "us",
        "phone": "",
    }
    response = browser_client.post(f"/orders/{order['id']}/address", data=form)
    assert _flash(browser_client, response) == "success: Shipping address updated (company, address1, zip)."
    address = _order(shop, order["id"])["shipping_address"]
    assert (address["address1"], address["zip"], address["company"], address["country"]) == (
        "500 Broadway",
        "10012",
        "Acme",
        "US",
    )
    event = _events(shop, order["id"])[0]
    assert event["type"] == "address_edited"
    assert event["actor"] == f"user:{login.email}"
    assert event["details"] == {
        "changes": {
            "company": {"old": None, "new": "Acme"},
            "address1": {"old": "123 Main St", "new": "500 Broadway"},
            "zip": {"old": "10001", "new": "10012"},
        }
    }
    assert event["message"] == (
        f"Shipping address edited by user:{login.email}: company (empty) → Acme; "
        "address1 123 Main St → 500 Broadway; zip 10001 → 10012"
    )
    page = html.unescape(browser_client.get(f"/orders/{order['id']}").text)
    assert "address1: 123 Main St → 500 Broadway" in page

    # A required field left empty is refused; nothing changes.
    count = len(_events(shop, order["id"]))
    response = browser_client.post(f"/orders/{order['id']}/address", data={**form, "city": ""})
    assert _flash(browser_client, response) == (
        "error: Shipping address: city — String should have at least 1 character"
    )
    assert _order(shop, order["id"])["shipping_address"]["city"] == "New York"
    assert len(_events(shop, order["id"])) == count


def _line_form(csrf: str, page: str) -> dict[str, str]:
    ids = re.findall(r'name="line-(\d+)-id" value="(\d+)"', page)
    return {"csrf_token": csrf, **{f"line-{n}-id": v for n, v in ids}}


def test_edit_lines_change_add_remove(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push(
        "L-1",
        line_items=[
            {"sku": "MUG", "name": "Mug", "quantity": 2, "price": 10},
            {"sku": "TEE", "name": "Tee", "quantity": 1, "price": 20},
        ],
    )
    login = shop.user("operator")
    csrf = sign_in(browser_client, login)
    page = browser_client.get(f"/orders/{order['id']}").text
    form = _line_form(csrf, page)
    form.update(
        {
            "line-0-sku": "MUG",
            "line-0-name": "Mug",
            "line-0-quantity": "3",
            "line-0-price": "10.0000",
            "line-1-sku": "TEE",
            "line-1-name": "Tee",
            "line-1-quantity": "1",
            "line-1-price": "20",
            "line-1-remove": "1",
            "new-sku": "HAT",
            "new-name": "Hat",
            "new-quantity": "2",
            "new-price": "5.5",
        }
    )
    response = browser_client.post(f"/orders/{order['id']}/lines", data=form)
    assert _flash(browser_client, response) == "success: Line items updated."
    data = _order(shop, order["id"])
    assert [(li["sku"], li["quantity"], float(li["price"])) for li in data["line_items"]] == [
        ("MUG", 3, 10.0),
        ("HAT", 2, 5.5),
    ]
    assert float(data["order_total"]) == 41.0
    event = _events(shop, order["id"])[0]
    assert (event["type"], event["actor"]) == ("lines_edited", f"user:{login.email}")
    assert event["message"] == (
        f"Line items edited by user:{login.email}: MUG quantity 2 → 3; removed TEE ×1; added HAT ×2"
    )
    assert event["details"]["changed"] == [
        {"line_id": int(form["line-0-id"]), "sku": "MUG", "fields": {"quantity": {"old": 2, "new": 3}}}
    ]
    assert [r["sku"] for r in event["details"]["removed"]] == ["TEE"]
    assert event["details"]["order_total"] == {"old": "40.0000", "new": "41.0000"}

    # Removing every line is refused.
    page = browser_client.get(f"/orders/{order['id']}").text
    form = _line_form(csrf, page)
    form.update({"line-0-remove": "1", "line-1-remove": "1"})
    response = browser_client.post(f"/orders/{order['id']}/lines", data=form)
    assert _flash(browser_client, response) == "error: An order needs at least one line item"
    # A bad quantity is refused with the line's number.
    form = _line_form(csrf, page)
    form.update({"line-0-sku": "MUG", "line-0-quantity": "0", "line-1-sku": "HAT", "line-1-quantity": "2"})
    response = browser_client.post(f"/orders/{order['id']}/lines", data=form)
    assert _flash(browser_client, response) == (
        "error: Line 1: quantity — Input should be greater than or equal to 1"
    )
    assert len(_order(shop, order["id"])["line_items"]) == 2


def test_edits_refused_once_the_order_is_sent(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push("S-1")
    shipped = shop.client.patch(
        f"/partner/v1/orders/{order['id']}",
        json={"status": "shipped", "tracking_number": "1Z999AA10123456784", "carrier": "UPS"},
        headers={"Authorization": f"Bearer {shop.key}"},
    )
    assert shipped.status_code == 200, shipped.text
    csrf = sign_in(browser_client, shop.user("operator"))
    page = browser_client.get(f"/orders/{order['id']}").text
    assert _actions(page) == ["archive", "clear-duplicate"]
    assert 'href="https://www.ups.com/track?loc=en_US&amp;tracknum=1Z999AA10123456784"' in page
    count = len(_events(shop, order["id"]))
    response = browser_client.post(
        f"/orders/{order['id']}/address",
        data={"csrf_token": csrf, "name": "X", "address1": "1 Road", "city": "A", "state": "NY", "zip": "1"},
    )
    assert _flash(browser_client, response) == (
        "error: The shipping address can be edited only before the order is sent "
        "(failed, hold, pending); this order is shipped"
    )
    response = browser_client.post(
        f"/orders/{order['id']}/lines",
        data={"csrf_token": csrf, "new-sku": "HAT", "new-quantity": "1"},
    )
    assert _flash(browser_client, response) == (
        "error: The line items can be edited only before the order is sent "
        "(failed, hold, pending); this order is shipped"
    )
    for action in ("hold", "cancel", "retry", "reset"):
        browser_client.post(f"/orders/{order['id']}/{action}", data={"csrf_token": csrf})
    assert _order(shop, order["id"])["status"] == "shipped"
    assert _order(shop, order["id"])["shipping_address"]["address1"] == "123 Main St"
    assert len(_events(shop, order["id"])) == count


ACTIONS = (
    "hold",
    "release",
    "retry",
    "cancel",
    "reset",
    "archive",
    "unarchive",
    "clear-duplicate",
    "address",
    "lines",
)


@pytest.mark.parametrize("action", ACTIONS)
def test_viewer_is_refused_every_action(shop: Shop, browser_client: TestClient, action: str) -> None:
    order = shop.push()
    csrf = sign_in(browser_client, shop.user("viewer"))
    page = browser_client.get(f"/orders/{order['id']}").text
    assert _actions(page) == []  # the viewer sees no action forms
    response = browser_client.post(f"/orders/{order['id']}/{action}", data={"csrf_token": csrf})
    assert response.status_code == 403
    assert "Your role (viewer) cannot do this." in response.text
    assert _order(shop, order["id"])["status"] == "pending"


def test_missing_csrf_is_refused(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push()
    sign_in(browser_client, shop.user("operator"))
    response = browser_client.post(f"/orders/{order['id']}/hold", data={"csrf_token": "wrong"})
    assert response.status_code == 403
    assert _order(shop, order["id"])["status"] == "pending"


@pytest.mark.parametrize("action", ("hold", "cancel", "address", "archive"))
def test_another_accounts_order_is_not_found(
    shop: Shop, other_shop: Shop, browser_client: TestClient, action: str
) -> None:
    theirs = other_shop.push("THEIRS-1")
    csrf = sign_in(browser_client, shop.user("admin"))
    assert browser_client.get(f"/orders/{theirs['id']}").status_code == 404
    response = browser_client.post(f"/orders/{theirs['id']}/{action}", data={"csrf_token": csrf})
    assert response.status_code == 404
    assert _order(other_shop, theirs["id"])["status"] == "pending"
    assert len(_events(other_shop, theirs["id"])) == 1


@pytest.mark.parametrize(
    ("carrier", "number", "link"),
    [
        (
            "USPS",
            "9400111899223856903452",
            "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223856903452",
        ),
        (
            "UPS Ground",
            "1Z999AA10123456784",
            "https://www.ups.com/track?loc=en_US&amp;tracknum=1Z999AA10123456784",
        ),
        ("FedEx", "794644790132", "https://www.fedex.com/fedextrack/?trknbr=794644790132"),
        (
            "DHL Express",
            "1234567890",
            "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id=1234567890",
        ),
    ],
)
def test_tracking_links_per_carrier(
    shop: Shop, browser_client: TestClient, carrier: str, number: str, link: str
) -> None:
    order = shop.push()
    response = shop.client.patch(
        f"/partner/v1/orders/{order['id']}",
        json={"tracking_number": number, "carrier": carrier},
        headers={"Authorization": f"Bearer {shop.key}"},
    )
    assert response.status_code == 200, response.text
    sign_in(browser_client, shop.user("viewer"))
    page = browser_client.get(f"/orders/{order['id']}").text
    assert f'<a href="{link}" rel="noopener noreferrer" target="_blank" id="tracking-link">{number}' in page


def test_labels_and_split_orders_are_linked(
    shop: Shop,
    browser_client: TestClient,
    run_jobs: Callable[[], int],  # noqa: F811
) -> None:
    headers = {"Authorization": f"Bearer {shop.key}"}
    rule = shop.client.post(
        "/partner/v1/preorder-rules", json={"sku": "PRE-1", "hold_mode": "split"}, headers=headers
    )
    assert rule.status_code == 201, rule.text
    order = shop.push(
        "P-1",
        line_items=[{"sku": "NOW-1", "quantity": 1, "price": 5}, {"sku": "PRE-1", "quantity": 1, "price": 9}],
    )
    run_jobs()  # evaluation splits the pre-order line into a held child order
    label = shop.client.post(
        f"/partner/v1/orders/{order['id']}/labels",
        json={
            "tracking_number": "1Z0000000000000001",
            "carrier": "UPS",
            "label_url": "https://labels.example/1.pdf",
            "label_format": "pdf",
        },
        headers=headers,
    )
    assert label.status_code == 201, label.text
    sign_in(browser_client, shop.user("viewer"))
    page = browser_client.get(f"/orders/{order['id']}").text
    child = re.search(
        r'<dt>Split into</dt><dd><a href="/orders/([0-9a-f-]{36})">P-1\.1</a> \(Held\)</dd>', page
    )
    assert child, "no link to the child order"
    assert '<a href="https://labels.example/1.pdf" rel="noopener noreferrer" target="_blank">pdf</a>' in page
    assert '<a href="https://www.ups.com/track?loc=en_US&amp;tracknum=1Z0000000000000001"' in page
    child_page = browser_client.get(f"/orders/{child.group(1)}").text
    assert f'<dt>Split from</dt><dd><a href="/orders/{order["id"]}">P-1</a></dd>' in child_page


def test_editing_lines_of_a_routed_order_moves_its_committed_stock(
    shop: Shop,
    browser_client: TestClient,
    run_jobs: Callable[[], int],  # noqa: F811
) -> None:
    headers = {"Authorization": f"Bearer {shop.key}"}

    def level(sku: str) -> tuple[int, int, int]:
        rows = shop.client.get(f"/partner/v1/inventory?sku={sku}", headers=headers).json()["data"]
        [row] = [r for r in rows if r["warehouse"] == "Closed warehouse"]
        return row["quantity_on_hand"], row["quantity_committed"], row["quantity_available"]

    order_id = _failed_order(shop, run_jobs, "INV-1", wait=True)
    for sku in ("WIDGET-RED-LG", "HAT"):
        response = shop.client.post(
            "/partner/v1/inventory/levels",
            json={"sku": sku, "quantity_on_hand": 10, "warehouse": "Closed warehouse"},
            headers=headers,
        )
        assert response.status_code in (200, 201), response.text
    run_jobs()  # routed (2 units committed), then the send fails
    assert _order(shop, order_id)["status"] == "failed"
    assert level("WIDGET-RED-LG") == (10, 2, 8)

    csrf = sign_in(browser_client, shop.user("operator"))
    page = browser_client.get(f"/orders/{order_id}").text
    form = _line_form(csrf, page)
    form.update({"line-0-sku": "WIDGET-RED-LG", "line-0-quantity": "5", "line-0-price": "29.99"})
    response = browser_client.post(f"/orders/{order_id}/lines", data=form)
    assert _flash(browser_client, response) == "success: Line items updated."
    assert level("WIDGET-RED-LG") == (10, 5, 5)

    form.update({"line-0-remove": "1", "new-sku": "HAT", "new-quantity": "3"})
    response = browser_client.post(f"/orders/{order_id}/lines", data=form)
    assert _flash(browser_client, response) == "success: Line items updated."
    assert level("WIDGET-RED-LG") == (10, 0, 10)
    assert level("HAT") == (10, 3, 7)
