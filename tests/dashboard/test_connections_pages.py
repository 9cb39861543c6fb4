"""The Connections page over HTTP: API keys shown once, connections added/edited/tested, roles, isolation.

On SQLite and PostgreSQL (the `db` fixture), with the real sandbox warehouse for the test button.
"""

from __future__ import annotations

import html
import re

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import order_body
from tests.dashboard.conftest import Shop, sign_in
from tests.pipeline.conftest import sandbox, sandbox_server  # noqa: F401  (fixtures)
from tests.servers import free_port
from warpware.accounts.repository import account_by_slug
from warpware.connections import service as connections_service
from warpware.connections.models import Connection
from warpware.connectors.registry import CONNECTION_TYPES
from warpware.db import Database
from warpware.sandbox import SandboxServer

KEY_RE = re.compile(r'id="secret-value"[^>]*value="(ww_live_[0-9a-f]{32})"')
SECRET = "s3cret-sandbox-Value-42"


def _flash(client: TestClient, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"]).text
    match = re.search(r'<div class="flash flash-(\w+)" role="\w+">([^<]*)</div>', page)
    assert match, "no flash message"
    return f"{match.group(1)}: {html.unescape(match.group(2))}"


def _connections(db: Database, shop: Shop) -> list[Connection]:
    """The account's connections, straight from the database."""
    with db.reading() as session:
        account = account_by_slug(session, shop.account)
        assert account is not None
        return list(
            session.scalars(
                select(Connection)
                .where(Connection.account_id == account.id, Connection.deleted_at.is_(None))
                .order_by(Connection.created_at)
            )
        )


def test_admin_creates_an_api_key_shown_once_that_pushes_orders(
    shop: Shop, browser_client: TestClient
) -> None:
    csrf = sign_in(browser_client, shop.user("admin"))
    response = browser_client.post(
        "/connections/integrations", data={"csrf_token": csrf, "name": "Storefront", "scopes": "read,write"}
    )
    assert response.status_code == 201
    assert "You won't see this key again" in response.text
    match = KEY_RE.search(response.text)
    assert match
    key = match.group(1)

    pushed = shop.client.post(
        "/partner/v1/orders",
        json=order_body("K-1"),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert pushed.status_code == 201, pushed.text

    page = browser_client.get("/connections").text
    assert key not in page
    row = re.search(r"<td data-label=\"Name\">Storefront</td>(.*?)</tr>", page, re.S)
    assert row
    assert f"ww_live_…{key[-4:]}" in row.group(1)
    assert '<td data-label="Scopes">read,write</td>' in row.group(1)
    assert '<td data-label="Orders pushed" class="num">1</td>' in row.group(1)
    assert "UTC" in row.group(1)  # last active is set
    assert "active</span>" in row.group(1)


def test_a_read_only_key_and_revoking_a_key(shop: Shop, browser_client: TestClient) -> None:
    csrf = sign_in(browser_client, shop.user("admin"))
    created = browser_client.post(
        "/connections/integrations", data={"csrf_token": csrf, "name": "Reporting", "scopes": "read"}
    )
    key = KEY_RE.search(created.text).group(1)  # type: ignore[union-attr]
    auth = {"Authorization": f"Bearer {key}"}
    assert shop.client.get("/partner/v1/orders", headers=auth).status_code == 200
    assert shop.client.post("/partner/v1/orders", json={}, headers=auth).status_code == 403

    page = browser_client.get("/connections").text
    integration_id = re.search(  # type: ignore[union-attr]
        r'/connections/integrations/([0-9a-f-]{36})/revoke" class="inline" data-confirm="Revoke the key of '
        r"Reporting",
        page,
    ).group(1)
    response = browser_client.post(
        f"/connections/integrations/{integration_id}/revoke", data={"csrf_token": csrf}
    )
    assert _flash(browser_client, response) == (
        "success: The key of Reporting is revoked; requests with it now get 401."
    )
    assert shop.client.get("/partner/v1/orders", headers=auth).status_code == 401
    assert "revoked</span>" in browser_client.get("/connections").text


def test_bad_integration_input_stores_nothing(shop: Shop, browser_client: TestClient, db: Database) -> None:
    csrf = sign_in(browser_client, shop.user("admin"))
    response = browser_client.post(
        "/connections/integrations", data={"csrf_token": csrf, "name": "  ", "scopes": "read,write"}
    )
    assert _flash(browser_client, response) == (
        "error: The integration was not created: integration name must not be empty"
    )
    response = browser_client.post(
        "/connections/integrations", data={"csrf_token": csrf, "name": "X", "scopes": "write"}
    )
    assert _flash(browser_client, response) == "error: Choose the key's scopes: read, or read and write."
    assert "No integrations yet." not in browser_client.get("/connections").text  # the shop's own key
    assert browser_client.get("/connections").text.count('/revoke"') == 1


def test_add_edit_and_test_a_sandbox_destination(
    shop: Shop,
    browser_client: TestClient,
    db: Database,
    sandbox_server: SandboxServer,  # noqa: F811
    sandbox: httpx.Client,  # noqa: F811
) -> None:
    csrf = sign_in(browser_client, shop.user("admin"))
    form = browser_client.get("/connections/new?type=sandbox")
    assert form.status_code == 200
    assert 'name="settings.base_url"' in form.text and 'name="credentials.client_secret"' in form.text

    response = browser_client.post(
        "/connections/new",
        data={
            "csrf_token": csrf,
            "type": "sandbox",
            "name": "Sandbox WH",
            "is_default": "on",
            "push_enabled": "on",
            "settings.base_url": sandbox_server.url,
            "settings.customer_id": "1",
            "settings.facility_id": "1",
            "credentials.client_id": "sandbox",
            "credentials.client_secret": SECRET,
        },
    )
    assert response.status_code == 303
    [connection] = _connections(db, shop)
    assert response.headers["location"] == f"/connections/{connection.id}"
    assert (connection.name, connection.type, connection.is_default) == ("Sandbox WH", "sandbox", True)
    assert connection.settings == {"base_url": sandbox_server.url, "customer_id": 1, "facility_id": 1}
    assert connections_service.credentials_of(connection) == {"client_id": "sandbox", "client_secret": SECRET}

    # The secret is never rendered, on the list or on the edit page.
    edit = browser_client.get(f"/connections/{connection.id}").text
    assert SECRET not in edit and SECRET not in browser_client.get("/connections").text
    assert "stored — leave blank to keep" in edit
    assert f'value="{sandbox_server.url}"' in edit

    # Editing with the credential left blank keeps it; the name and a setting change.
    response = browser_client.post(
        f"/connections/{connection.id}",
        data={
            "csrf_token": csrf,
            "name": "Sandbox East",
            "push_enabled": "on",
            "settings.base_url": sandbox_server.url,
            "settings.facility_id": "7",
            "credentials.client_id": "",
            "credentials.client_secret": "",
        },
    )
    assert _flash(browser_client, response) == "success: Connection Sandbox East saved."
    [connection] = _connections(db, shop)
    assert (connection.name, connection.is_default) == ("Sandbox East", False)
    assert connection.settings == {"base_url": sandbox_server.url, "facility_id": 7}
    assert connections_service.credentials_of(connection) == {"client_id": "sandbox", "client_secret": SECRET}

    # Test connection: the real sandbox answers.
    response = browser_client.post(f"/connections/{connection.id}/test", data={"csrf_token": csrf})
    assert _flash(browser_client, response) == "success: Test of Sandbox East succeeded: Connection works."
    assert SECRET not in browser_client.get("/connections").text


def test_a_failing_connection_test_shows_the_error_not_a_500(
    shop: Shop, browser_client: TestClient, db: Database
) -> None:
    csrf = sign_in(browser_client, shop.user("admin"))
    dead = f"http://127.0.0.1:{free_port()}"
    response = browser_client.post(
        "/connections/new",
        data={
            "csrf_token": csrf,
            "type": "sandbox",
            "name": "Nowhere",
            "settings.base_url": dead,
            "credentials.client_secret": SECRET,
        },
    )
    assert response.status_code == 303
    [connection] = _connections(db, shop)
    response = browser_client.post(
        f"/connections/{connection.id}/test", data={"csrf_token": csrf, "back": "edit"}
    )
    assert response.headers["location"] == f"/connections/{connection.id}"
    message = _flash(browser_client, response)
    assert message.startswith("error: Test of Nowhere failed (network_timeout): ")
    assert SECRET not in message
    page = browser_client.get(f"/connections/{connection.id}").text
    assert "Last error:" in page and SECRET not in page


def test_bad_connection_input_is_shown_on_the_form_and_nothing_is_stored(
    shop: Shop, browser_client: TestClient, db: Database
) -> None:
    csrf = sign_in(browser_client, shop.user("admin"))
    response = browser_client.post(
        "/connections/new",
        data={
            "csrf_token": csrf,
            "type": "sandbox",
            "name": "Broken",
            "settings.base_url": "ftp://nope",
            "settings.customer_id": "abc",
            "credentials.client_secret": SECRET,
        },
    )
    assert response.status_code == 422
    assert (
        'id="settings-customer_id-error" class="error-message">Enter a whole number</span>' in response.text
    )
    assert 'value="Broken"' in response.text
    assert SECRET not in response.text
    assert _connections(db, shop) == []

    response = browser_client.post(
        "/connections/new",
        data={"csrf_token": csrf, "type": "sandbox", "name": "Broken", "settings.base_url": "ftp://nope"},
    )
    assert response.status_code == 422
    assert re.search(
        r'id="settings-base_url-error" class="error-message">String should match pattern', response.text
    )
    assert _connections(db, shop) == []

    response = browser_client.post(
        "/connections/new",
        data={"csrf_token": csrf, "type": "sandbox", "name": "", "settings.base_url": "http://x"},
    )
    assert response.status_code == 422
    assert 'id="name-error" class="error-message">Give the connection a name</span>' in response.text
    assert _connections(db, shop) == []


def test_viewers_and_operators_may_look_but_not_change(
    shop: Shop, browser_client: TestClient, db: Database
) -> None:
    admin = TestClient(browser_client.app, follow_redirects=False)
    admin_csrf = sign_in(admin, shop.user("admin"))
    admin.post(
        "/connections/new",
        data={"csrf_token": admin_csrf, "type": "sandbox", "name": "WH", "settings.base_url": "http://x"},
    )
    [connection] = _connections(db, shop)
    for role in ("viewer", "operator"):
        client = TestClient(browser_client.app, follow_redirects=False)
        csrf = sign_in(client, shop.user(role))
        page = client.get("/connections")
        assert page.status_code == 200
        assert "WH" in page.text and "Create API key" not in page.text and "Test connection" not in page.text
        assert client.get("/connections/new").status_code == 403
        assert client.get(f"/connections/{connection.id}").status_code == 403
        for path, data in (
            ("/connections/integrations", {"name": "X", "scopes": "read"}),
            ("/connections/new", {"type": "sandbox", "name": "Y", "settings.base_url": "http://y"}),
            (f"/connections/{connection.id}", {"name": "Z", "settings.base_url": "http://z"}),
            (f"/connections/{connection.id}/test", {}),
            (f"/connections/{connection.id}/delete", {}),
        ):
            assert client.post(path, data={"csrf_token": csrf, **data}).status_code == 403, path
    assert [(c.name, c.settings) for c in _connections(db, shop)] == [("WH", {"base_url": "http://x"})]
    assert admin.get("/connections").text.count('/revoke"') == 1  # only the shop's own key


def test_another_accounts_ids_are_not_found(
    shop: Shop, other_shop: Shop, browser_client: TestClient, db: Database
) -> None:
    other = TestClient(browser_client.app, follow_redirects=False)
    other_csrf = sign_in(other, other_shop.user("admin"))
    other.post(
        "/connections/new",
        data={"csrf_token": other_csrf, "type": "sandbox", "name": "Theirs", "settings.base_url": "http://t"},
    )
    [theirs] = _connections(db, other_shop)
    their_key = re.search(  # type: ignore[union-attr]
        r"/connections/integrations/([0-9a-f-]{36})/revoke", other.get("/connections").text
    ).group(1)

    csrf = sign_in(browser_client, shop.user("admin"))
    assert "Theirs" not in browser_client.get("/connections").text
    assert browser_client.get(f"/connections/{theirs.id}").status_code == 404
    for path in (
        f"/connections/{theirs.id}",
        f"/connections/{theirs.id}/test",
        f"/connections/{theirs.id}/delete",
        f"/connections/integrations/{their_key}/revoke",
    ):
        assert browser_client.post(path, data={"csrf_token": csrf, "name": "Mine"}).status_code == 404, path
    [still] = _connections(db, other_shop)
    assert (still.name, still.deleted_at) == ("Theirs", None)
    assert (
        other_shop.client.get(
            "/partner/v1/orders", headers={"Authorization": f"Bearer {other_shop.key}"}
        ).status_code
        == 200
    )


def test_every_connection_type_has_a_form_and_a_channel_can_be_added_and_tested(
    shop: Shop, browser_client: TestClient, db: Database
) -> None:
    csrf = sign_in(browser_client, shop.user("admin"))
    chooser = browser_client.get("/connections/new").text
    for type_name, kind in CONNECTION_TYPES.items():
        assert f'href="/connections/new?type={type_name}"' in chooser
        form = browser_client.get(f"/connections/new?type={type_name}")
        assert form.status_code == 200, type_name
        for field in kind.settings_model.model_fields:
            assert f'name="settings.{field}"' in form.text, (type_name, field)
        for field in kind.credentials_model.model_fields:
            assert f'name="credentials.{field}" type="password"' in form.text, (type_name, field)
    assert browser_client.get("/connections/new?type=teleporter").status_code == 404

    dead = f"http://127.0.0.1:{free_port()}"
    response = browser_client.post(
        "/connections/new",
        data={
            "csrf_token": csrf,
            "type": "woocommerce",
            "name": "Woo shop",
            "push_enabled": "on",
            "settings.base_url": dead,
            "settings.timeout_seconds": "2",
            "credentials.consumer_key": "ck_" + SECRET,
            "credentials.consumer_secret": "cs_" + SECRET,
            "credentials.webhook_secret": "wh_" + SECRET,
        },
    )
    assert response.status_code == 303, response.text
    [channel] = _connections(db, shop)
    assert channel.settings["base_url"] == dead and channel.settings["timeout_seconds"] == 2.0
    listing = browser_client.get("/connections").text
    assert re.search(r'<h2 id="h-channels">Sales channels</h2>.*Woo shop', listing, re.S)
    edit = browser_client.get(f"/connections/{channel.id}").text
    assert SECRET not in edit and SECRET not in listing
    message = _flash(
        browser_client, browser_client.post(f"/connections/{channel.id}/test", data={"csrf_token": csrf})
    )
    assert message.startswith("error: Test of Woo shop failed (") and SECRET not in message
