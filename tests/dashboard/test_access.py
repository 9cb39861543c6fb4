"""Sign-in, sessions, roles, CSRF and account isolation over plain HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import settings_for
from tests.dashboard.conftest import Shop, csrf_of, sign_in
from warpware.app import create_app
from warpware.db import Database
from warpware.users import domain


def test_unauthenticated_pages_redirect_to_sign_in(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push("R-1")
    assert browser_client.get("/").headers["location"] == "/sign-in"
    assert browser_client.get("/orders").headers["location"] == "/sign-in"
    response = browser_client.get(f"/orders/{order['id']}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/sign-in?next=%2Forders%2F{order['id']}"
    for page in ("/health", "/connections", "/rules", "/webhooks", "/users", "/demo"):
        assert browser_client.get(page).status_code == 303
    # A POST without a session is not acted on either.
    response = browser_client.post(f"/orders/{order['id']}/hold", data={"csrf_token": "x"})
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"


def test_sign_in_sets_a_secure_session_cookie_and_lands_on_next(
    shop: Shop, browser_client: TestClient
) -> None:
    login = shop.user("viewer")
    page = browser_client.get("/sign-in?next=/orders%3Fstatus%3Dhold")
    response = browser_client.post(
        "/sign-in",
        data={
            "email": login.email.upper(),
            "password": login.password,
            "csrf_token": csrf_of(page.text),
            "next": "/orders?status=hold",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/orders?status=hold"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("ww_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; https requests get Secure
    home = browser_client.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/orders"
    assert login.email in browser_client.get("/orders").text


def test_an_off_site_next_is_ignored(shop: Shop, browser_client: TestClient) -> None:
    login = shop.user("viewer")
    page = browser_client.get("/sign-in")
    response = browser_client.post(
        "/sign-in",
        data={
            "email": login.email,
            "password": login.password,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/x",
        },
    )
    assert response.headers["location"] == "/orders"


def test_wrong_password_then_right(shop: Shop, browser_client: TestClient) -> None:
    login = shop.user("operator")
    token = csrf_of(browser_client.get("/sign-in").text)
    wrong = browser_client.post(
        "/sign-in", data={"email": login.email, "password": "nope-nope-nope", "csrf_token": token}
    )
    assert wrong.status_code == 401
    assert "Wrong email or password" in wrong.text
    assert not any(c.startswith("ww_session=") for c in wrong.headers.get_list("set-cookie"))
    unknown = browser_client.post(
        "/sign-in", data={"email": "nobody@example.com", "password": login.password, "csrf_token": token}
    )
    assert unknown.status_code == 401 and "Wrong email or password" in unknown.text
    right = browser_client.post(
        "/sign-in", data={"email": login.email, "password": login.password, "csrf_token": token}
    )
    assert right.status_code == 303


def test_sign_in_form_needs_its_csrf_token(shop: Shop, browser_client: TestClient) -> None:
    login = shop.user("admin")
    browser_client.get("/sign-in")
    response = browser_client.post("/sign-in", data={"email": login.email, "password": login.password})
    assert response.status_code == 403
    assert "could not be verified" in response.text


def test_failed_sign_ins_are_limited_per_email_and_address(shop: Shop, browser_client: TestClient) -> None:
    login = shop.user("admin")
    token = csrf_of(browser_client.get("/sign-in").text)
    for _ in range(domain.LOGIN_FAILURE_LIMIT):
        response = browser_client.post(
            "/sign-in", data={"email": login.email, "password": "wrong-password-x", "csrf_token": token}
        )
        assert response.status_code == 401
    blocked = browser_client.post(
        "/sign-in", data={"email": login.email, "password": login.password, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text
    assert not any(c.startswith("ww_session=") for c in blocked.headers.get_list("set-cookie"))
    # Another email from the same address is not affected.
    other = shop.user("viewer")
    ok = browser_client.post(
        "/sign-in", data={"email": other.email, "password": other.password, "csrf_token": token}
    )
    assert ok.status_code == 303


def test_sign_out_revokes_the_session(shop: Shop, browser_client: TestClient) -> None:
    login = shop.user("viewer")
    csrf = sign_in(browser_client, login)
    session_cookie = browser_client.cookies.get("ww_session")
    assert session_cookie
    assert browser_client.post("/sign-out", data={}).status_code == 403  # CSRF applies here too
    out = browser_client.post("/sign-out", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    # The old cookie no longer works even if replayed.
    browser_client.cookies.set("ww_session", session_cookie)
    assert browser_client.get("/orders").status_code == 303


def test_post_without_or_with_a_wrong_csrf_token_is_refused(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push("C-1")
    sign_in(browser_client, shop.user("operator"))
    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": ""}):
        response = browser_client.post(f"/orders/{order['id']}/hold", data=data)
        assert response.status_code == 403
        assert "could not be verified" in response.text
    detail = browser_client.get(f"/orders/{order['id']}")
    assert "pending" in detail.text.lower() and "on hold" not in detail.text.lower()


def test_another_sessions_csrf_token_does_not_work(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push("C-2")
    their_token = sign_in(shop.client, shop.user("operator"))
    sign_in(browser_client, shop.user("operator"))
    response = browser_client.post(f"/orders/{order['id']}/hold", data={"csrf_token": their_token})
    assert response.status_code == 403


def test_viewer_cannot_act_and_operator_can(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push("V-1")
    csrf = sign_in(browser_client, shop.user("viewer"))
    page = browser_client.get(f"/orders/{order['id']}")
    assert page.status_code == 200 and "/hold" not in page.text  # no action buttons for a viewer
    refused = browser_client.post(f"/orders/{order['id']}/hold", data={"csrf_token": csrf, "reason": "x"})
    assert refused.status_code == 403
    assert "Your role (viewer) cannot do this" in refused.text

    browser_client.cookies.clear()
    csrf = sign_in(browser_client, shop.user("operator"))
    held = browser_client.post(
        f"/orders/{order['id']}/hold", data={"csrf_token": csrf, "reason": "Check address"}
    )
    assert held.status_code == 303 and held.headers["location"] == f"/orders/{order['id']}"
    detail = browser_client.get(f"/orders/{order['id']}").text
    assert "Order V-1 is on hold." in detail  # the flash message
    assert "Check address" in detail
    api = shop.client.get(
        f"/partner/v1/orders/{order['id']}", headers={"Authorization": f"Bearer {shop.key}"}
    )
    assert api.json()["data"]["status"] == "hold"
    timeline = shop.client.get(
        f"/partner/v1/orders/{order['id']}/timeline", headers={"Authorization": f"Bearer {shop.key}"}
    ).json()["data"]["events"]
    assert any((e["actor"] or "").startswith("user:operator-") for e in timeline)

    released = browser_client.post(f"/orders/{order['id']}/release", data={"csrf_token": csrf})
    assert released.status_code == 303
    api = shop.client.get(
        f"/partner/v1/orders/{order['id']}", headers={"Authorization": f"Bearer {shop.key}"}
    )
    assert api.json()["data"]["status"] == "pending"


def test_another_accounts_order_is_a_404_page(
    shop: Shop, other_shop: Shop, browser_client: TestClient
) -> None:
    theirs = other_shop.push("THEIRS-1")
    mine = shop.push("MINE-1")
    csrf = sign_in(browser_client, shop.user("admin"))
    response = browser_client.get(f"/orders/{theirs['id']}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "THEIRS-1" not in response.text
    assert browser_client.post(f"/orders/{theirs['id']}/hold", data={"csrf_token": csrf}).status_code == 404
    assert browser_client.get("/orders/not-a-uuid").status_code == 404
    listing = browser_client.get("/orders").text
    assert "MINE-1" in listing and "THEIRS-1" not in listing
    searched = browser_client.get("/orders?q=THEIRS-1").text
    assert theirs["id"] not in searched and "No orders match." in searched
    assert browser_client.get(f"/orders/{mine['id']}").status_code == 200


def test_users_of_one_account_do_not_sign_in_to_another(
    shop: Shop, other_shop: Shop, browser_client: TestClient
) -> None:
    same_email = "shared@example.com"
    shop.user("viewer", email=same_email)
    other_shop.user("admin", email=same_email, password="another password 123")
    token = csrf_of(browser_client.get("/sign-in").text)
    response = browser_client.post(
        "/sign-in", data={"email": same_email, "password": "another password 123", "csrf_token": token}
    )
    assert response.status_code == 303
    page = browser_client.get("/orders").text
    assert other_shop.account in page and "admin" in page


def test_partner_api_is_unchanged(shop: Shop, browser_client: TestClient) -> None:
    # The 415 middleware still guards /partner/*, and its errors stay JSON.
    response = shop.client.post(
        "/partner/v1/orders",
        content="a=b",
        headers={"Authorization": f"Bearer {shop.key}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    missing = shop.client.get(
        "/partner/v1/orders/00000000-0000-0000-0000-000000000000",
        headers={"Authorization": f"Bearer {shop.key}"},
    )
    assert missing.status_code == 404 and missing.json()["detail"].startswith("Order")
    assert shop.client.get("/partner/v1/nothing-here").json() == {"detail": "No such endpoint"}
    assert shop.client.get("/partner/v1/orders").status_code == 401


def test_static_stylesheet_is_served(browser_client: TestClient) -> None:
    response = browser_client.get("/static/dashboard.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")


def test_the_session_cookie_is_secure_over_https(shop: Shop, db: Database) -> None:
    login = shop.user("viewer")
    with TestClient(
        create_app(settings_for(db), database=db), base_url="https://testserver", follow_redirects=False
    ) as https_client:
        page = https_client.get("/sign-in")
        response = https_client.post(
            "/sign-in",
            data={"email": login.email, "password": login.password, "csrf_token": csrf_of(page.text)},
        )
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("ww_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
