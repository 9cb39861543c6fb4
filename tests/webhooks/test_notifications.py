"""Notifications: orders out of automatic retries and disabled endpoints reach the health panel always,
and email through a real SMTP server (aiosmtpd on loopback) when SMTP is configured."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import Tenant
from tests.pipeline.conftest import Clock, Pipeline
from tests.webhooks.conftest import Mailbox, put, register, second_key
from tests.webhooks.receiver import Receiver
from warpware.db import Database
from warpware.webhooks.service import RETRY_SCHEDULE_SECONDS


def _notifications(tenant: Tenant) -> list[dict[str, object]]:
    data: list[dict[str, object]] = tenant.get("/partner/v1/health").json()["data"]["notifications"]
    return data


def test_failed_order_notifies_by_global_smtp(
    pipeline: Pipeline, smtp: Mailbox, worker_env: Callable[..., None]
) -> None:
    worker_env(
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_tls="none",
        smtp_recipients="ops@partner.example, oncall@partner.example",
        smtp_sender="WarpWare <alerts@warpware.test>",
    )
    order_id = pipeline.order("NT-FAIL", line_items=[{"sku": "INVALID-SKU-1", "quantity": 1}])
    pipeline.run_jobs()
    [notification] = _notifications(pipeline.tenant)
    assert notification["kind"] == "order.failed" and notification["subject"] == f"order:{order_id}"
    assert notification["title"] == "Order NT-FAIL failed and needs attention"
    assert notification["email_status"] == "sent" and notification["emailed_at"] is not None
    assert notification["details"]["error_type"] == "validation"  # type: ignore[index]
    [message] = smtp.messages
    assert message["Subject"] == "[WarpWare] Order NT-FAIL failed and needs attention"
    assert message["From"] == "WarpWare <alerts@warpware.test>"
    assert message["To"] == "ops@partner.example, oncall@partner.example"
    assert message["X-WarpWare-Notification"] == "order.failed"
    text = message.get_content()
    assert "INVALID-SKU-1" in text and f"/partner/v1/orders/{order_id}/retry" in text
    assert smtp.envelopes == [("alerts@warpware.test", ["ops@partner.example", "oncall@partner.example"])]
    listed = pipeline.tenant.get("/partner/v1/notifications").json()["data"]
    assert [n["id"] for n in listed] == [notification["id"]]
    # A retryable failure (automatic retries remain) notifies nobody.
    pipeline.sandbox.put("/_sandbox/faults", json={"error_next": 1}).raise_for_status()
    pipeline.order("NT-RETRY")
    pipeline.run_jobs()
    assert len(_notifications(pipeline.tenant)) == 1 and len(smtp.messages) == 1


def test_without_smtp_the_health_panel_still_shows_it(pipeline: Pipeline) -> None:
    pipeline.order("NT-NOSMTP", line_items=[{"sku": "INVALID-SKU-2", "quantity": 1}])
    pipeline.run_jobs()
    [notification] = _notifications(pipeline.tenant)
    assert (notification["kind"], notification["email_status"]) == ("order.failed", "not_configured")


def test_account_settings_and_a_disabled_endpoint(
    db: Database, tenant: Tenant, receiver: Receiver, smtp: Mailbox, run_jobs: Callable[[], int], clock: Clock
) -> None:
    account_key = second_key(db, tenant, sub_client=None)
    settings = {
        "recipients": ["webhooks@partner.example"],
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_tls": "none",
        "smtp_sender": "alerts@partner.example",
    }
    assert put(tenant, "/partner/v1/notification-settings", settings).status_code == 403  # sub-client key
    response = put(account_key, "/partner/v1/notification-settings", {**settings, "smtp_password": "pw"})
    assert response.status_code == 200
    assert response.json()["data"] == {**settings, "smtp_username": None, "has_smtp_password": True}
    assert account_key.get("/partner/v1/notification-settings").json()["data"]["has_smtp_password"] is True
    hook = register(tenant, receiver.url, ["order.created"])
    receiver.status = 500
    tenant.post(
        "/partner/v1/orders",
        json={
            "external_id": "NT-DIS",
            "line_items": [{"sku": "A", "quantity": 1}],
            "shipping_address": {
                "name": "A",
                "address1": "1 A St",
                "city": "B",
                "state": "NY",
                "zip": "10001",
            },
        },
    )
    run_jobs()
    for delay in RETRY_SCHEDULE_SECONDS:
        clock.advance(delay * 1.1 + 1)
        run_jobs()
    [notification] = _notifications(tenant)
    assert notification["kind"] == "webhook.disabled" and notification["email_status"] == "sent"
    [message] = smtp.messages
    assert message["Subject"] == f"[WarpWare] Webhook endpoint {receiver.url} was disabled"
    assert message["To"] == "webhooks@partner.example" and message["From"] == "alerts@partner.example"
    assert f"PATCH /partner/v1/webhooks/{hook.id}" in message.get_content()


def test_settings_validation(db: Database, tenant: Tenant) -> None:
    account_key = second_key(db, tenant, sub_client=None)
    bad = put(account_key, "/partner/v1/notification-settings", {"recipients": ["not-an-email"]})
    assert bad.status_code == 422 and "not a valid email address: not-an-email" in bad.json()["detail"]
    assert put(account_key, "/partner/v1/notification-settings", {"smtp_tls": "maybe"}).status_code == 422
    empty = account_key.get("/partner/v1/notification-settings").json()["data"]
    assert empty["recipients"] == [] and empty["smtp_host"] is None
