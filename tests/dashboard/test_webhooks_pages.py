"""The Webhooks page over HTTP: register (secret shown once), send a test to a real receiver, delivery
health, redeliver, disable/enable, delete, roles and isolation. On SQLite and PostgreSQL.

The app runs with allow_private_webhooks (the receiver is on 127.0.0.1), and so do the workers
(WARPWARE_ALLOW_PRIVATE_WEBHOOKS, as in tests/webhooks).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import settings_for
from tests.dashboard.conftest import Shop, sign_in
from tests.pipeline.conftest import run_jobs  # noqa: F401  (fixture)
from tests.webhooks.conftest import quiet_queue, receiver, worker_env  # noqa: F401  (fixtures)
from tests.webhooks.receiver import Receiver
from warpware.app import create_app
from warpware.db import Database

SECRET_RE = re.compile(r'id="secret-value"[^>]*value="([^"]+)"')
CHOSEN = "my-own-signing-secret-123"


@pytest.fixture
def hooks_client(db: Database) -> Iterator[TestClient]:
    """A person's browser on an app that may register loopback URLs."""
    app = create_app(settings_for(db, allow_private_webhooks=True), database=db)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _flash(client: TestClient, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"]).text
    match = re.search(r'<div class="flash flash-(\w+)" role="\w+">([^<]*)</div>', page)
    assert match, "no flash message"
    return f"{match.group(1)}: {html.unescape(match.group(2))}"


def _register(client: TestClient, csrf: str, url: str, events: list[str], secret: str = "") -> httpx.Response:
    return client.post("/webhooks", data={"csrf_token": csrf, "url": url, "events": events, "secret": secret})


def _endpoint_id(client: TestClient, url: str) -> str:
    pattern = (
        rf'<tr data-endpoint="{re.escape(url)}">\s*'
        r'<td data-label="URL"><a href="/webhooks/([0-9a-f-]{36})">'
    )
    match = re.search(pattern, client.get("/webhooks").text)
    assert match, "endpoint not listed"
    return match.group(1)


def _deliveries(client: TestClient, endpoint_id: str) -> list[dict[str, str]]:
    """The recent deliveries table, newest first: event, status, HTTP code, attempts."""
    page = client.get(f"/webhooks/{endpoint_id}").text
    rows = re.findall(r'<tr data-delivery="([0-9a-f-]{36})">(.*?)</tr>', page, re.S)
    result = []
    for delivery_id, row in rows:
        cells = dict(re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', row, re.S))
        result.append(
            {
                "id": delivery_id,
                "event": re.sub(r"<[^>]+>", "", cells["Event"]).strip(),
                "status": re.sub(r"<[^>]+>", "", cells["Status"]).strip(),
                "http": cells["HTTP"].strip(),
                "attempts": cells["Attempts"].strip(),
            }
        )
    return result


def test_register_shows_the_secret_once_and_a_test_event_arrives_signed(
    shop: Shop,
    hooks_client: TestClient,
    receiver: Receiver,  # noqa: F811
    run_jobs: Callable[[], int],  # noqa: F811
) -> None:
    csrf = sign_in(hooks_client, shop.user("admin"))
    response = _register(hooks_client, csrf, receiver.url, ["order.shipped", "order.held"])
    assert response.status_code == 201
    assert "You won't see this secret again." in response.text
    secret = SECRET_RE.search(response.text).group(1)  # type: ignore[union-attr]
    assert secret.startswith("whsec_")

    listing = hooks_client.get("/webhooks").text
    endpoint_id = _endpoint_id(hooks_client, receiver.url)
    assert secret not in listing
    assert secret not in hooks_client.get(f"/webhooks/{endpoint_id}").text
    assert "order.shipped, order.held" in listing

    response = hooks_client.post(f"/webhooks/{endpoint_id}/test", data={"csrf_token": csrf})
    assert _flash(hooks_client, response) == (
        "success: Test event queued: it is sent once, and its delivery shows below within seconds."
    )
    assert [(d["event"], d["status"]) for d in _deliveries(hooks_client, endpoint_id)] == [
        ("webhook.test", "pending")
    ]
    run_jobs()
    [received] = receiver.accepted()
    assert received.event == "webhook.test"
    received.verify(secret)
    assert [{k: v for k, v in d.items() if k != "id"} for d in _deliveries(hooks_client, endpoint_id)] == [
        {"event": "webhook.test", "status": "delivered", "http": "200", "attempts": "1"}
    ]
    row = re.search(r'<tr data-endpoint="[^"]+">(.*?)</tr>', hooks_client.get("/webhooks").text, re.S)
    assert row and '100% <span class="muted">(1 of 1)</span>' in row.group(1)
    assert '<td data-label="Last failure">—</td>' in row.group(1)


def test_a_failed_delivery_shows_in_health_and_can_be_redelivered(
    shop: Shop,
    hooks_client: TestClient,
    receiver: Receiver,  # noqa: F811
    run_jobs: Callable[[], int],  # noqa: F811
) -> None:
    csrf = sign_in(hooks_client, shop.user("admin"))
    response = _register(hooks_client, csrf, receiver.url, ["order.created"], secret=CHOSEN)
    assert SECRET_RE.search(response.text).group(1) == CHOSEN  # type: ignore[union-attr]
    endpoint_id = _endpoint_id(hooks_client, receiver.url)
    receiver.status = 500
    hooks_client.post(f"/webhooks/{endpoint_id}/test", data={"csrf_token": csrf})
    run_jobs()
    [failed] = _deliveries(hooks_client, endpoint_id)
    assert (failed["status"], failed["http"], failed["attempts"]) == ("failed", "500", "1")
    row = re.search(r'<tr data-endpoint="[^"]+">(.*?)</tr>', hooks_client.get("/webhooks").text, re.S)
    assert row and '0% <span class="muted">(0 of 1)</span>' in row.group(1)
    assert "HTTP 500" in row.group(1) and "UTC" in row.group(1)  # the last failure, with its error

    receiver.status = 200
    response = hooks_client.post(
        f"/webhooks/{endpoint_id}/deliveries/{failed['id']}/redeliver", data={"csrf_token": csrf}
    )
    assert _flash(hooks_client, response) == "success: The webhook.test event is queued to be sent again."
    run_jobs()
    newest, oldest = _deliveries(hooks_client, endpoint_id)
    assert (newest["event"], newest["status"], newest["http"]) == (
        "webhook.test redelivery",
        "delivered",
        "200",
    )
    assert oldest["id"] == failed["id"] and oldest["status"] == "failed"
    assert [r.event for r in receiver.accepted()] == ["webhook.test"]
    receiver.accepted()[0].verify(CHOSEN)
    assert CHOSEN not in hooks_client.get(f"/webhooks/{endpoint_id}").text
    assert CHOSEN not in hooks_client.get("/webhooks").text


def test_disable_enable_and_delete(shop: Shop, hooks_client: TestClient) -> None:
    csrf = sign_in(hooks_client, shop.user("admin"))
    _register(hooks_client, csrf, "http://127.0.0.1:9/hook", ["order.created"])
    endpoint_id = _endpoint_id(hooks_client, "http://127.0.0.1:9/hook")
    response = hooks_client.post(f"/webhooks/{endpoint_id}/disable", data={"csrf_token": csrf})
    assert _flash(hooks_client, response) == (
        "success: Endpoint disabled: nothing is sent to it until enabled."
    )
    assert "disabled</span>" in hooks_client.get("/webhooks").text
    response = hooks_client.post(f"/webhooks/{endpoint_id}/test", data={"csrf_token": csrf})
    assert _flash(hooks_client, response).startswith("error: This endpoint is disabled")
    assert _deliveries(hooks_client, endpoint_id) == []
    hooks_client.post(f"/webhooks/{endpoint_id}/enable", data={"csrf_token": csrf})
    assert "active</span>" in hooks_client.get("/webhooks").text

    response = hooks_client.post(f"/webhooks/{endpoint_id}/delete", data={"csrf_token": csrf})
    assert _flash(hooks_client, response) == (
        "success: Endpoint http://127.0.0.1:9/hook deleted; what it still had to receive is cancelled."
    )
    assert "No webhook endpoints yet." in hooks_client.get("/webhooks").text
    assert hooks_client.get(f"/webhooks/{endpoint_id}").status_code == 404


def test_bad_input_is_shown_on_the_form_and_nothing_is_stored(shop: Shop, db: Database) -> None:
    # The production setting: only public https URLs.
    strict = create_app(settings_for(db, allow_private_webhooks=False), database=db)
    with TestClient(strict, follow_redirects=False) as client:
        csrf = sign_in(client, shop.user("admin"))
        response = _register(client, csrf, "https://127.0.0.1/hook", ["order.created"])
        assert response.status_code == 422
        assert re.search(
            r'<span id="url-error" class="error-message">Invalid webhook url: 127.0.0.1 is a', response.text
        )
        assert 'value="https://127.0.0.1/hook"' in response.text

        response = _register(client, csrf, "https://partner.example.com/hook", [])
        assert response.status_code == 422
        assert '<span id="events-error" class="error-message">' in response.text

        response = _register(
            client, csrf, "https://partner.example.com/hook", ["order.created"], secret="short secret"
        )
        assert response.status_code == 422
        assert '<span id="secret-error" class="error-message">' in response.text
        assert "short secret" not in response.text

        response = _register(client, csrf, "https://partner.example.com/hook", ["order.teleported"])
        assert response.status_code == 422
        assert "unknown event type(s) order.teleported" in response.text
        assert "No webhook endpoints yet." in client.get("/webhooks").text


def test_viewers_and_operators_see_but_cannot_change(
    shop: Shop, hooks_client: TestClient, db: Database
) -> None:
    csrf = sign_in(hooks_client, shop.user("admin"))
    _register(hooks_client, csrf, "http://127.0.0.1:9/hook", ["order.created"])
    endpoint_id = _endpoint_id(hooks_client, "http://127.0.0.1:9/hook")
    hooks_client.post(f"/webhooks/{endpoint_id}/test", data={"csrf_token": csrf})
    [delivery] = _deliveries(hooks_client, endpoint_id)
    app = hooks_client.app
    for role in ("viewer", "operator"):
        with TestClient(app, follow_redirects=False) as client:
            role_csrf = sign_in(client, shop.user(role))
            page = client.get("/webhooks")
            assert page.status_code == 200 and "http://127.0.0.1:9/hook" in page.text
            assert "Register an endpoint" not in page.text
            detail = client.get(f"/webhooks/{endpoint_id}")
            assert detail.status_code == 200 and "Send test event" not in detail.text
            for path, data in (
                ("/webhooks", {"url": "http://127.0.0.1:9/other", "events": ["order.created"]}),
                (f"/webhooks/{endpoint_id}/test", {}),
                (f"/webhooks/{endpoint_id}/disable", {}),
                (f"/webhooks/{endpoint_id}/enable", {}),
                (f"/webhooks/{endpoint_id}/delete", {}),
                (f"/webhooks/{endpoint_id}/deliveries/{delivery['id']}/redeliver", {}),
            ):
                assert client.post(path, data={"csrf_token": role_csrf, **data}).status_code == 403, path
    assert len(_deliveries(hooks_client, endpoint_id)) == 1
    assert "active</span>" in hooks_client.get("/webhooks").text
    assert hooks_client.get("/webhooks").text.count("<tr data-endpoint=") == 1


def test_another_accounts_endpoints_are_not_found(
    shop: Shop, other_shop: Shop, hooks_client: TestClient
) -> None:
    with TestClient(hooks_client.app, follow_redirects=False) as other:
        other_csrf = sign_in(other, other_shop.user("admin"))
        _register(other, other_csrf, "http://127.0.0.1:9/theirs", ["order.created"])
        theirs = _endpoint_id(other, "http://127.0.0.1:9/theirs")
        other.post(f"/webhooks/{theirs}/test", data={"csrf_token": other_csrf})
        [delivery] = _deliveries(other, theirs)

        csrf = sign_in(hooks_client, shop.user("admin"))
        assert "theirs" not in hooks_client.get("/webhooks").text
        assert hooks_client.get(f"/webhooks/{theirs}").status_code == 404
        for path in (
            f"/webhooks/{theirs}/test",
            f"/webhooks/{theirs}/disable",
            f"/webhooks/{theirs}/delete",
            f"/webhooks/{theirs}/deliveries/{delivery['id']}/redeliver",
        ):
            assert hooks_client.post(path, data={"csrf_token": csrf}).status_code == 404, path
        assert len(_deliveries(other, theirs)) == 1
        assert "active</span>" in other.get("/webhooks").text
