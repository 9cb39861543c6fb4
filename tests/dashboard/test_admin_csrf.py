"""Every form of the Connections, Rules, Webhooks and Users pages is refused without the session's CSRF
token, even for an admin, and nothing changes. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.dashboard.conftest import PASSWORD, Shop, sign_in

NONE = "00000000-0000-4000-8000-000000000000"


def test_admin_posts_without_a_valid_csrf_token_are_refused(shop: Shop, browser_client: TestClient) -> None:
    sign_in(browser_client, shop.user("admin"))
    before = {p: browser_client.get(p).text for p in ("/connections", "/rules", "/webhooks", "/users")}
    posts = [
        ("/connections/integrations", {"name": "X", "scopes": "read"}),
        (f"/connections/integrations/{NONE}/revoke", {}),
        ("/connections/new", {"type": "sandbox", "name": "X", "settings.base_url": "http://x"}),
        (f"/connections/{NONE}", {"name": "X"}),
        (f"/connections/{NONE}/test", {}),
        (f"/connections/{NONE}/delete", {}),
        ("/rules/new", {"name": "X", "stage": "hold", "actions": "- type: hold\n"}),
        (f"/rules/{NONE}", {"name": "X"}),
        (f"/rules/{NONE}/move", {"direction": "up"}),
        (f"/rules/{NONE}/enable", {}),
        (f"/rules/{NONE}/disable", {}),
        (f"/rules/{NONE}/delete", {}),
        ("/rules/try", {"order": "{}"}),
        ("/webhooks", {"url": "https://partner.example.com/h", "events": ["order.created"]}),
        (f"/webhooks/{NONE}/test", {}),
        (f"/webhooks/{NONE}/enable", {}),
        (f"/webhooks/{NONE}/disable", {}),
        (f"/webhooks/{NONE}/delete", {}),
        (f"/webhooks/{NONE}/deliveries/{NONE}/redeliver", {}),
        ("/users", {"email": "x@example.com", "role": "admin", "password": PASSWORD}),
        (f"/users/{NONE}/role", {"role": "viewer"}),
        (f"/users/{NONE}/deactivate", {}),
        (f"/users/{NONE}/reactivate", {}),
    ]
    for path, data in posts:
        for token in (None, "not-the-token"):
            form = dict(data) if token is None else {**data, "csrf_token": token}
            response = browser_client.post(path, data=form)
            assert response.status_code == 403, (path, token)
            assert "This form could not be verified" in response.text, path
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    for path, text in before.items():
        assert strip.sub("", browser_client.get(path).text) == strip.sub("", text), path
