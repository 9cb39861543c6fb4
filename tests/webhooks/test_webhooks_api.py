"""POST/GET/PATCH/DELETE /webhooks: the documented object, secrets, URL rules, limits, tenancy."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Tenant, new_key, settings_for
from tests.webhooks.conftest import ALL_EVENTS, create_order, deliveries, register, second_key
from tests.webhooks.receiver import Receiver
from warpware.app import create_app
from warpware.db import Database
from warpware.kit import crypto
from warpware.webhooks.models import WebhookEndpoint
from warpware.worker.models import jobs_table

DOCUMENTED = {
    "id",
    "url",
    "events",
    "active",
    "created_at",
    "last_delivery_at",
    "last_delivery_status",
    "failure_count",
    "secret",
}


def test_register_returns_the_documented_object_and_the_secret_once(db: Database, tenant: Tenant) -> None:
    response = tenant.post(
        "/partner/v1/webhooks",
        json={
            "url": "https://partner.example.com/webhooks/warpware",
            "events": ["order.shipped", "order.failed"],
        },
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) >= DOCUMENTED
    assert (data["url"], data["events"], data["active"]) == (
        "https://partner.example.com/webhooks/warpware",
        ["order.shipped", "order.failed"],
        True,
    )
    assert (data["last_delivery_at"], data["last_delivery_status"], data["failure_count"]) == (None, None, 0)
    secret = data["secret"]
    assert secret.startswith("whsec_") and len(secret) == 6 + 44  # base64 of 32 random bytes

    listed = tenant.get("/partner/v1/webhooks").json()
    assert listed["meta"] == {"total": 1}
    assert [e["id"] for e in listed["data"]] == [data["id"]]
    assert "secret" not in listed["data"][0]
    one = tenant.get(f"/partner/v1/webhooks/{data['id']}").json()["data"]
    assert "secret" not in one and one == {k: v for k, v in data.items() if k != "secret"}

    # Stored encrypted: the column holds ciphertext that decrypts to the secret.
    with db.reading() as session:
        stored = session.scalar(
            select(WebhookEndpoint.secret_encrypted).where(WebhookEndpoint.id == uuid.UUID(data["id"]))
        )
    assert stored is not None and secret not in stored and crypto.decrypt(stored) == secret


def test_caller_supplied_secret_is_used(tenant: Tenant) -> None:
    response = tenant.post(
        "/partner/v1/webhooks",
        json={
            "url": "https://partner.example.com/hook",
            "events": ["order.created"],
            "secret": "your_webhook_secret_here",
        },
    )
    assert response.status_code == 201
    assert response.json()["data"]["secret"] == "your_webhook_secret_here"
    for bad in ("short", "has spaces in the middle", "whsec_not*base64*at*all!!"):
        refused = tenant.post(
            "/partner/v1/webhooks",
            json={"url": "https://partner.example.com/hook", "events": ["order.created"], "secret": bad},
        )
        assert refused.status_code == 422, bad


def test_events_must_be_documented(tenant: Tenant) -> None:
    response = tenant.post(
        "/partner/v1/webhooks",
        json={"url": "https://partner.example.com/hook", "events": ["order.created", "order.exploded"]},
    )
    assert response.status_code == 422
    assert "unknown event type(s) order.exploded" in response.json()["detail"]
    assert (
        tenant.post(
            "/partner/v1/webhooks", json={"url": "https://partner.example.com/hook", "events": []}
        ).status_code
        == 422
    )
    assert (
        tenant.post(
            "/partner/v1/webhooks", json={"url": "https://partner.example.com/hook", "events": ALL_EVENTS}
        ).status_code
        == 201
    )


def test_private_and_plain_http_targets_refused_without_the_dev_setting(db: Database) -> None:
    with TestClient(create_app(settings_for(db, allow_private_webhooks=False), database=db)) as client:
        account, key, key_id = new_key(db)
        strict = Tenant(account, "warehouse-east", key, key_id, client)
        for url, reason in [
            ("http://partner.example.com/hook", "the URL must use https"),
            ("https://127.0.0.1/hook", "127.0.0.1 is a private, loopback or link-local address"),
            ("https://10.1.2.3/hook", "10.1.2.3 is a private, loopback or link-local address"),
            ("https://169.254.169.254/latest/meta-data", "169.254.169.254 is a private"),
            ("https://[::1]:8443/hook", "::1 is a private"),
            ("https://localhost/hook", "localhost resolves to a private, loopback or link-local address"),
            ("https://user:pw@partner.example.com/hook", "the URL must not contain credentials"),
            ("ftp://partner.example.com/hook", "the URL must use https"),
        ]:
            response = strict.post("/partner/v1/webhooks", json={"url": url, "events": ["order.created"]})
            assert response.status_code == 422, url
            assert reason in response.json()["detail"], (url, response.json())
        assert (
            strict.post(
                "/partner/v1/webhooks",
                json={"url": "https://partner.example.com/hook", "events": ["order.created"]},
            ).status_code
            == 201
        )


def test_private_targets_allowed_with_the_dev_setting(tenant: Tenant) -> None:
    response = tenant.post(
        "/partner/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["order.created"]}
    )
    assert response.status_code == 201


def test_eleventh_active_endpoint_is_refused(tenant: Tenant) -> None:
    ids = [register(tenant, f"https://partner.example.com/hook/{i}").id for i in range(10)]
    response = tenant.post(
        "/partner/v1/webhooks",
        json={"url": "https://partner.example.com/hook/10", "events": ["order.created"]},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "An account can have at most 10 active webhook endpoints; delete one before registering another"
    )
    # The limit is per account: another key of the same account is refused too.
    other_key = second_key(tenant.client.app.state.database, tenant, sub_client=None)  # type: ignore[attr-defined]
    assert (
        other_key.post(
            "/partner/v1/webhooks",
            json={"url": "https://partner.example.com/hook/10", "events": ["order.created"]},
        ).status_code
        == 422
    )
    # Disabled ones do not count; re-enabling is refused while ten are active.
    assert (
        tenant.patch(f"/partner/v1/webhooks/{ids[0]}", json={"active": False}).json()["data"]["active"]
        is False
    )
    register(tenant, "https://partner.example.com/hook/10")
    assert tenant.patch(f"/partner/v1/webhooks/{ids[0]}", json={"active": True}).status_code == 422
    assert tenant.delete(f"/partner/v1/webhooks/{ids[1]}").status_code == 200
    assert (
        tenant.patch(f"/partner/v1/webhooks/{ids[0]}", json={"active": True}).json()["data"]["active"] is True
    )


def test_another_accounts_endpoint_is_404(
    db: Database, tenant: Tenant, other_tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int]
) -> None:
    hook = register(tenant, receiver.url, ["order.created"])
    create_order(tenant)
    run_jobs()
    [delivery] = deliveries(db, hook.id)
    for method, url in [
        ("get", f"/partner/v1/webhooks/{hook.id}"),
        ("patch", f"/partner/v1/webhooks/{hook.id}"),
        ("delete", f"/partner/v1/webhooks/{hook.id}"),
        ("post", f"/partner/v1/webhooks/{hook.id}/test"),
        ("get", f"/partner/v1/webhooks/{hook.id}/deliveries"),
        ("post", f"/partner/v1/webhooks/{hook.id}/deliveries/{delivery.id}/redeliver"),
        ("get", f"/partner/v1/webhooks/{uuid.uuid4()}"),
        ("get", "/partner/v1/webhooks/not-a-uuid"),
    ]:
        kwargs = {"json": {"active": False}} if method == "patch" else {}
        response = getattr(other_tenant, method)(url, **kwargs)
        assert response.status_code == 404, (method, url)
    assert other_tenant.get("/partner/v1/webhooks").json()["data"] == []
    assert (
        tenant.post(f"/partner/v1/webhooks/{hook.id}/deliveries/{uuid.uuid4()}/redeliver").status_code == 404
    )


def test_scopes(db: Database, tenant: Tenant) -> None:
    reader = second_key(db, tenant, scopes="read")
    assert (
        reader.post(
            "/partner/v1/webhooks",
            json={"url": "https://partner.example.com/hook", "events": ["order.created"]},
        ).status_code
        == 403
    )
    hook = register(tenant, "https://partner.example.com/hook", ["order.created"])
    assert reader.get("/partner/v1/webhooks").status_code == 200
    assert reader.delete(f"/partner/v1/webhooks/{hook.id}").status_code == 403


def test_delete_cancels_pending_deliveries_and_nothing_more_arrives(
    db: Database, tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int]
) -> None:
    hook = register(tenant, receiver.url)
    kept = register(tenant, receiver.url + "/kept", ["order.created"])
    order_id = create_order(tenant)
    assert tenant.delete(f"/partner/v1/webhooks/{hook.id}").json()["data"] == {"id": hook.id, "deleted": True}
    run_jobs()
    assert [r.path for r in receiver.accepted()] == ["/hooks/warpware/kept"]
    assert [d.status for d in deliveries(db, hook.id)] == ["cancelled"]
    with db.reading() as session:
        statuses = session.scalars(
            select(jobs_table.c.status).where(jobs_table.c.group_key == f"webhook_endpoint:{hook.id}")
        ).all()
    assert statuses == ["cancelled"]
    # Later changes do not reach it either, and it is gone from the API.
    tenant.post(f"/partner/v1/orders/{order_id}/cancel", json={"reason": "late"})
    run_jobs()
    assert len(deliveries(db, hook.id)) == 1
    assert [r.path for r in receiver.accepted()] == ["/hooks/warpware/kept"]
    assert tenant.get(f"/partner/v1/webhooks/{hook.id}").status_code == 404
    assert [e["id"] for e in tenant.get("/partner/v1/webhooks").json()["data"]] == [kept.id]
