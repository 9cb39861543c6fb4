"""The Rules page over HTTP: create/edit with field errors, reorder, enable/disable, dry runs, roles,
isolation. On SQLite and PostgreSQL. What is stored is read back through the Partner API."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.dashboard.conftest import Shop, sign_in

HOLD_RULE = {
    "name": "Big orders",
    "description": "A person checks these",
    "stage": "hold",
    "priority": "50",
    "enabled": "on",
    "conditions": "all:\n  - field: order_value\n    op: gt\n    value: 500\n",
    "actions": "- type: hold\n  reason: Over $500\n",
}


def _rules(shop: Shop) -> list[dict[str, Any]]:
    response = shop.client.get("/partner/v1/rules", headers={"Authorization": f"Bearer {shop.key}"})
    assert response.status_code == 200
    rules: list[dict[str, Any]] = response.json()["data"]
    return rules


def _listed(page: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<tr data-rule="([^"]*)">', page)]


def _flash(client: TestClient, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"]).text
    match = re.search(r'<div class="flash flash-(\w+)" role="\w+">([^<]*)</div>', page)
    assert match, "no flash message"
    return f"{match.group(1)}: {html.unescape(match.group(2))}"


def _create(client: TestClient, csrf: str, **fields: str | None) -> httpx.Response:
    """Post the new-rule form; a field given as None is left out (an unchecked box)."""
    data = {k: v for k, v in {**HOLD_RULE, **fields}.items() if v is not None}
    return client.post("/rules/new", data={"csrf_token": csrf, **data})


def test_admin_creates_a_rule_from_the_form(shop: Shop, browser_client: TestClient) -> None:
    csrf = sign_in(browser_client, shop.user("admin"))
    assert browser_client.get("/rules/new").status_code == 200
    response = _create(browser_client, csrf)
    assert _flash(browser_client, response) == "success: Rule Big orders created."
    [rule] = _rules(shop)
    assert {k: v for k, v in rule.items() if k not in ("id", "created_at", "updated_at")} == {
        "name": "Big orders",
        "description": "A person checks these",
        "stage": "hold",
        "priority": 50,
        "enabled": True,
        "stop_on_match": False,
        "conditions": {"all": [{"field": "order_value", "op": "gt", "value": 500}]},
        "actions": [{"type": "hold", "reason": "Over $500"}],
    }
    page = browser_client.get("/rules").text
    assert _listed(page) == ["Big orders"]
    assert "enabled</span>" in page

    # JSON is accepted too; the edit form shows the stored rule as YAML.
    response = _create(
        browser_client,
        csrf,
        name="Rush",
        stage="automation",
        priority="10",
        conditions='{"all": [{"field": "tags", "op": "contains", "value": "rush"}]}',
        actions='[{"type": "set_service_level", "service_level": "Express"}]',
    )
    assert response.status_code == 303
    # Evaluation order: the automation stage runs before the hold stage.
    assert _listed(browser_client.get("/rules").text) == ["Rush", "Big orders"]
    edit = browser_client.get(f"/rules/{_rules(shop)[1]['id']}").text
    assert "- type: hold\n  reason: Over $500" in html.unescape(edit)


def test_bad_rules_are_shown_on_the_form_and_not_stored(shop: Shop, browser_client: TestClient) -> None:
    csrf = sign_in(browser_client, shop.user("admin"))
    response = _create(
        browser_client, csrf, conditions="all:\n  - field: order_value\n    op: greater\n    value: 5\n"
    )
    assert response.status_code == 422
    assert re.search(
        r'<ul id="conditions-error" class="error-message field-errors">\s*<li>conditions.all\[0\].op: '
        r"unknown operator &#39;greater&#39;</li>",
        response.text,
    )
    assert 'value="Big orders"' in response.text  # what was typed is kept
    assert "op: greater" in response.text

    response = _create(browser_client, csrf, actions="- type: [unclosed\n")
    assert response.status_code == 422
    assert (
        '<ul id="actions-error" class="error-message field-errors"><li>Not valid YAML or JSON'
        in response.text
    )

    response = _create(browser_client, csrf, priority="first")
    assert response.status_code == 422
    assert "<li>Enter a whole number (lower runs first)</li>" in response.text

    response = _create(browser_client, csrf, actions="- type: teleport\n")
    assert response.status_code == 422
    assert re.search(r'<ul id="actions-error"[^>]*>\s*<li>actions\[0\]\.type: ', response.text)

    response = _create(browser_client, csrf, name="")
    assert response.status_code == 422
    assert '<ul id="name-error"' in response.text
    assert _rules(shop) == []


def test_edit_reorder_enable_disable_and_delete(shop: Shop, browser_client: TestClient) -> None:
    csrf = sign_in(browser_client, shop.user("admin"))
    for name, priority in (("A", "10"), ("B", "10"), ("C", "30")):
        assert _create(browser_client, csrf, name=name, priority=priority).status_code == 303
    assert _listed(browser_client.get("/rules").text) == ["A", "B", "C"]
    ids = {r["name"]: r["id"] for r in _rules(shop)}

    response = browser_client.post(f"/rules/{ids['C']}/move", data={"csrf_token": csrf, "direction": "up"})
    assert _flash(browser_client, response) == "success: Rule C moved up."
    assert _listed(browser_client.get("/rules").text) == ["A", "C", "B"]
    assert {r["name"]: r["priority"] for r in _rules(shop)} == {"A": 10, "C": 20, "B": 30}
    browser_client.post(f"/rules/{ids['A']}/move", data={"csrf_token": csrf, "direction": "down"})
    assert _listed(browser_client.get("/rules").text) == ["C", "A", "B"]
    browser_client.post(
        f"/rules/{ids['C']}/move", data={"csrf_token": csrf, "direction": "up"}
    )  # already first
    assert _listed(browser_client.get("/rules").text) == ["C", "A", "B"]

    response = browser_client.post(f"/rules/{ids['A']}/disable", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "success: Rule A disabled."
    assert {r["name"]: r["enabled"] for r in _rules(shop)} == {"C": True, "A": False, "B": True}
    browser_client.post(f"/rules/{ids['A']}/enable", data={"csrf_token": csrf})
    assert {r["name"]: r["enabled"] for r in _rules(shop)} == {"C": True, "A": True, "B": True}

    response = browser_client.post(
        f"/rules/{ids['B']}",
        data={
            "csrf_token": csrf,
            **HOLD_RULE,
            "name": "B2",
            "priority": "5",
            "conditions": "",
            "enabled": "",
        },
    )
    assert _flash(browser_client, response) == "success: Rule B2 saved."
    b2 = next(r for r in _rules(shop) if r["id"] == ids["B"])
    assert (b2["name"], b2["priority"], b2["enabled"], b2.get("conditions")) == ("B2", 5, True, None)
    # An unchecked box is a form field left out.
    data = {"csrf_token": csrf, **HOLD_RULE, "name": "B2"}
    del data["enabled"]
    browser_client.post(f"/rules/{ids['B']}", data=data)
    assert next(r for r in _rules(shop) if r["id"] == ids["B"])["enabled"] is False

    bad = browser_client.post(f"/rules/{ids['B']}", data={"csrf_token": csrf, **HOLD_RULE, "actions": "[]"})
    assert bad.status_code == 422
    assert next(r for r in _rules(shop) if r["id"] == ids["B"])["actions"] == [
        {"type": "hold", "reason": "Over $500"}
    ]

    response = browser_client.post(f"/rules/{ids['C']}/delete", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "success: Rule C deleted."
    assert sorted(r["name"] for r in _rules(shop)) == ["A", "B2"]


def test_try_rules_runs_a_dry_run_and_stores_nothing(shop: Shop, browser_client: TestClient) -> None:
    admin_csrf = sign_in(browser_client, shop.user("admin"))
    _create(browser_client, admin_csrf)
    _create(
        browser_client,
        admin_csrf,
        name="Off",
        enabled=None,
        conditions="",
        actions="- type: hold\n  reason: Switched off\n",
    )
    [big, off] = sorted(_rules(shop), key=lambda r: r["name"])

    viewer = TestClient(browser_client.app, follow_redirects=False)
    csrf = sign_in(viewer, shop.user("viewer"))
    assert viewer.get("/rules/try").status_code == 200
    order = (
        '{"external_id": "TRY-1", "line_items": [{"sku": "A", "quantity": 2, "price": 300}],'
        ' "shipping_address": {"name": "Ann", "address1": "1 Main", "city": "Austin", "state": "TX",'
        ' "zip": "78701", "country": "US"}}'
    )
    result = viewer.post("/rules/try", data={"csrf_token": csrf, "which": "enabled", "order": order})
    assert result.status_code == 200
    assert '<h2 id="h-result">Result: held</h2>' in result.text
    assert re.search(r"<li><strong>Big orders</strong> \(hold\): ", result.text)
    assert "<dt>Hold</dt><dd>Over $500 (rule Big orders)" in result.text
    assert "Off</strong>" not in result.text  # disabled rules do not run ...

    only = viewer.post("/rules/try", data={"csrf_token": csrf, "which": off["id"], "order": order})
    assert "<li><strong>Off</strong> (hold)" in only.text  # ... unless tried on their own
    assert "Big orders</strong>" not in only.text

    small = order.replace('"price": 300', '"price": 3')
    result = viewer.post("/rules/try", data={"csrf_token": csrf, "which": big["id"], "order": small})
    assert "No rule matched." in result.text

    bad = viewer.post("/rules/try", data={"csrf_token": csrf, "which": "enabled", "order": "{nope"})
    assert bad.status_code == 422 and "The order is not valid JSON" in bad.text
    invalid = viewer.post("/rules/try", data={"csrf_token": csrf, "which": "enabled", "order": "{}"})
    assert invalid.status_code == 422 and "order: Validation failed" in invalid.text

    orders = shop.client.get("/partner/v1/orders", headers={"Authorization": f"Bearer {shop.key}"})
    assert orders.json()["data"] == []
    assert [(r["name"], r["enabled"]) for r in sorted(_rules(shop), key=lambda r: r["name"])] == [
        ("Big orders", True),
        ("Off", False),
    ]
    # Without a CSRF token even a dry run is refused.
    assert viewer.post("/rules/try", data={"which": "enabled", "order": order}).status_code == 403


def test_viewers_and_operators_cannot_change_rules(shop: Shop, browser_client: TestClient) -> None:
    admin_csrf = sign_in(browser_client, shop.user("admin"))
    _create(browser_client, admin_csrf)
    [rule] = _rules(shop)
    for role in ("viewer", "operator"):
        client = TestClient(browser_client.app, follow_redirects=False)
        csrf = sign_in(client, shop.user(role))
        page = client.get("/rules")
        assert page.status_code == 200 and _listed(page.text) == ["Big orders"]
        assert "New rule" not in page.text and "/disable" not in page.text
        assert client.get("/rules/new").status_code == 403
        assert client.get(f"/rules/{rule['id']}").status_code == 403
        for path, data in (
            ("/rules/new", HOLD_RULE),
            (f"/rules/{rule['id']}", {**HOLD_RULE, "name": "Mine"}),
            (f"/rules/{rule['id']}/move", {"direction": "down"}),
            (f"/rules/{rule['id']}/disable", {}),
            (f"/rules/{rule['id']}/enable", {}),
            (f"/rules/{rule['id']}/delete", {}),
        ):
            assert client.post(path, data={"csrf_token": csrf, **data}).status_code == 403, path
    assert [(r["name"], r["enabled"], r["priority"]) for r in _rules(shop)] == [("Big orders", True, 50)]


def test_another_accounts_rules_are_not_found(
    shop: Shop, other_shop: Shop, browser_client: TestClient
) -> None:
    other = TestClient(browser_client.app, follow_redirects=False)
    _create(other, sign_in(other, other_shop.user("admin")), name="Theirs")
    [theirs] = _rules(other_shop)

    csrf = sign_in(browser_client, shop.user("admin"))
    assert _listed(browser_client.get("/rules").text) == []
    assert "Theirs" not in browser_client.get("/rules/try").text
    assert browser_client.get(f"/rules/{theirs['id']}").status_code == 404
    for path, data in (
        (f"/rules/{theirs['id']}", {**HOLD_RULE, "name": "Mine"}),
        (f"/rules/{theirs['id']}/move", {"direction": "down"}),
        (f"/rules/{theirs['id']}/disable", {}),
        (f"/rules/{theirs['id']}/delete", {}),
        ("/rules/try", {"which": theirs["id"], "order": "{}"}),
    ):
        assert browser_client.post(path, data={"csrf_token": csrf, **data}).status_code == 404, path
    [still] = _rules(other_shop)
    assert (still["name"], still["enabled"]) == ("Theirs", True)
