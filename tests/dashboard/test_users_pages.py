"""The Users page over HTTP: add users (password set or generated and shown once), change roles,
deactivate and reactivate, the last-admin rule, roles and isolation. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re

import httpx
from fastapi.testclient import TestClient

from tests.dashboard.conftest import PASSWORD, Login, Shop, sign_in

SECRET_RE = re.compile(r'id="secret-value"[^>]*value="([^"]+)"')


def _flash(client: TestClient, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"]).text
    match = re.search(r'<div class="flash flash-(\w+)" role="\w+">([^<]*)</div>', page)
    assert match, "no flash message"
    return f"{match.group(1)}: {html.unescape(match.group(2))}"


def _users(client: TestClient) -> dict[str, dict[str, str]]:
    """email -> id, role (the selected option) and state, as listed."""
    page = client.get("/users")
    assert page.status_code == 200
    result = {}
    for email, row in re.findall(r'<tr data-user="([^"]+)">(.*?)</tr>', page.text, re.S):
        result[email] = {
            "id": re.search(r"/users/([0-9a-f-]{36})/role", row).group(1),  # type: ignore[union-attr]
            "role": re.search(r'<option value="(\w+)" selected>', row).group(1),  # type: ignore[union-attr]
            "state": "active" if "active</span>" in row and "deactivated" not in row else "deactivated",
        }
    return result


def _can_sign_in(app: object, login: Login) -> bool:
    with TestClient(app, follow_redirects=False) as client:  # type: ignore[arg-type]
        page = client.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        response = client.post(
            "/sign-in", data={"email": login.email, "password": login.password, "csrf_token": token}
        )
        return response.status_code == 303


def test_admin_adds_users_with_a_set_or_a_generated_password(shop: Shop, browser_client: TestClient) -> None:
    admin = shop.user("admin")
    csrf = sign_in(browser_client, admin)
    response = browser_client.post(
        "/users",
        data={
            "csrf_token": csrf,
            "email": "Ann@Example.com",
            "name": "Ann",
            "role": "operator",
            "password": PASSWORD,
        },
    )
    assert _flash(browser_client, response) == (
        "success: User ann@example.com added as operator, with the password you set."
    )
    assert _can_sign_in(browser_client.app, Login(shop.account, "ann@example.com", PASSWORD, "operator"))

    response = browser_client.post(
        "/users", data={"csrf_token": csrf, "email": "bob@example.com", "name": "Bob", "role": "viewer"}
    )
    assert response.status_code == 201
    assert "You won't see this password again." in response.text
    generated = html.unescape(SECRET_RE.search(response.text).group(1))  # type: ignore[union-attr]
    assert len(generated) >= 12
    assert _can_sign_in(browser_client.app, Login(shop.account, "bob@example.com", generated, "viewer"))
    assert generated not in browser_client.get("/users").text

    listed = _users(browser_client)
    assert {e: (u["role"], u["state"]) for e, u in listed.items()} == {
        admin.email: ("admin", "active"),
        "ann@example.com": ("operator", "active"),
        "bob@example.com": ("viewer", "active"),
    }


def test_bad_input_is_shown_and_nothing_is_stored(shop: Shop, browser_client: TestClient) -> None:
    admin = shop.user("admin")
    csrf = sign_in(browser_client, admin)
    for data, message in (
        ({"email": "not-an-email", "role": "viewer"}, "not a valid email address: &#39;not-an-email&#39;"),
        ({"email": "c@example.com", "role": "boss"}, "unknown role &#39;boss&#39;"),
        (
            {"email": "c@example.com", "role": "viewer", "password": "short-pw"},
            "the password must have at least 10 characters",
        ),
        ({"email": admin.email.upper(), "role": "viewer"}, f"A user {admin.email} already exists"),
    ):
        response = browser_client.post("/users", data={"csrf_token": csrf, "name": "C", **data})
        assert response.status_code == 422, data
        assert "The user was not added: " in response.text and message in response.text, data
        assert "short-pw" not in response.text
    assert list(_users(browser_client)) == [admin.email]


def test_change_role_deactivate_and_reactivate(shop: Shop, browser_client: TestClient) -> None:
    csrf = sign_in(browser_client, shop.user("admin"))
    colleague = shop.user("operator")
    with TestClient(browser_client.app, follow_redirects=False) as theirs:
        sign_in(theirs, colleague)
        assert theirs.get("/users").status_code == 403
        user_id = _users(browser_client)[colleague.email]["id"]

        response = browser_client.post(f"/users/{user_id}/role", data={"csrf_token": csrf, "role": "admin"})
        assert _flash(browser_client, response) == f"success: {colleague.email} is now admin."
        assert theirs.get("/users").status_code == 200  # the role applies to their live session at once

        response = browser_client.post(f"/users/{user_id}/deactivate", data={"csrf_token": csrf})
        assert _flash(browser_client, response) == (
            f"success: {colleague.email} is deactivated and signed out everywhere."
        )
        assert _users(browser_client)[colleague.email]["state"] == "deactivated"
        assert theirs.get("/orders").status_code == 303  # signed out
    assert not _can_sign_in(browser_client.app, colleague)

    response = browser_client.post(f"/users/{user_id}/reactivate", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == f"success: {colleague.email} can sign in again."
    assert _can_sign_in(browser_client.app, colleague)

    response = browser_client.post(f"/users/{user_id}/role", data={"csrf_token": csrf, "role": "boss"})
    assert _flash(browser_client, response) == (
        "error: unknown role 'boss'; valid roles are admin, operator, viewer"
    )
    assert _users(browser_client)[colleague.email]["role"] == "admin"


def test_the_last_admin_cannot_demote_or_deactivate_themselves(
    shop: Shop, browser_client: TestClient
) -> None:
    admin = shop.user("admin")
    csrf = sign_in(browser_client, admin)
    me = _users(browser_client)[admin.email]["id"]
    response = browser_client.post(f"/users/{me}/role", data={"csrf_token": csrf, "role": "operator"})
    assert _flash(browser_client, response) == (
        f"error: {admin.email} is the account's last admin: make another user an admin first"
    )
    response = browser_client.post(f"/users/{me}/deactivate", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "error: You cannot deactivate yourself; ask another admin"
    assert _users(browser_client)[admin.email] == {"id": me, "role": "admin", "state": "active"}

    # With a second admin, stepping down is fine; then that admin is the last one.
    second = shop.user("admin")
    response = browser_client.post(f"/users/{me}/role", data={"csrf_token": csrf, "role": "operator"})
    assert _flash(browser_client, response) == f"success: {admin.email} is now operator."
    assert browser_client.get("/users").status_code == 403
    with TestClient(browser_client.app, follow_redirects=False) as other:
        other_csrf = sign_in(other, second)
        second_id = _users(other)[second.email]["id"]
        response = other.post(f"/users/{second_id}/role", data={"csrf_token": other_csrf, "role": "viewer"})
        assert _flash(other, response).startswith(f"error: {second.email} is the account's last admin")
        assert _users(other)[second.email]["role"] == "admin"


def test_non_admins_cannot_see_or_change_users(shop: Shop, browser_client: TestClient) -> None:
    admin = shop.user("admin")
    with TestClient(browser_client.app, follow_redirects=False) as admin_client:
        sign_in(admin_client, admin)
        admin_id = _users(admin_client)[admin.email]["id"]
    for role in ("viewer", "operator"):
        with TestClient(browser_client.app, follow_redirects=False) as client:
            login = shop.user(role)
            csrf = sign_in(client, login)
            assert client.get("/users").status_code == 403
            assert '<a href="/users"' not in client.get("/orders").text  # no link to a refusal
            for path, data in (
                ("/users", {"email": "x@example.com", "role": "admin", "password": PASSWORD}),
                (f"/users/{admin_id}/role", {"role": "viewer"}),
                (f"/users/{admin_id}/deactivate", {}),
                (f"/users/{admin_id}/reactivate", {}),
            ):
                assert client.post(path, data={"csrf_token": csrf, **data}).status_code == 403, path
    with TestClient(browser_client.app, follow_redirects=False) as admin_client:
        sign_in(admin_client, admin)
        assert '<a href="/users"' in admin_client.get("/orders").text
        listed = _users(admin_client)
        assert "x@example.com" not in listed
        assert listed[admin.email] == {"id": admin_id, "role": "admin", "state": "active"}


def test_another_accounts_users_are_not_found(
    shop: Shop, other_shop: Shop, browser_client: TestClient
) -> None:
    theirs = other_shop.user("operator")
    with TestClient(browser_client.app, follow_redirects=False) as other:
        sign_in(other, other_shop.user("admin"))
        their_id = _users(other)[theirs.email]["id"]
    csrf = sign_in(browser_client, shop.user("admin"))
    assert theirs.email not in browser_client.get("/users").text
    for path, data in (
        (f"/users/{their_id}/role", {"role": "viewer"}),
        (f"/users/{their_id}/deactivate", {}),
        (f"/users/{their_id}/reactivate", {}),
    ):
        assert browser_client.post(path, data={"csrf_token": csrf, **data}).status_code == 404, path
    assert _can_sign_in(browser_client.app, theirs)
