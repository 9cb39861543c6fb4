"""The pure parts: which addresses are refused, how secrets key the two signatures, the event table."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress

import pytest
from standardwebhooks.webhooks import Webhook

from tests.webhooks.receiver import verify_signature
from warpware.webhooks import signing, ssrf
from warpware.webhooks.events import Annotation, Emission, order_events


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::",
    ],
)
def test_private_addresses_are_refused(address: str) -> None:
    assert not ssrf.is_public(ipaddress.ip_address(address))
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(ssrf.UnsafeTarget, match="private, loopback or link-local"):
        ssrf.resolve(f"https://{host}/hook", allow_private=False)
    assert ssrf.resolve(f"https://{host}/hook", allow_private=True).address == str(
        ipaddress.ip_address(address)
    )


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert ssrf.is_public(ipaddress.ip_address(address))


def test_names_resolving_to_loopback_are_refused() -> None:
    with pytest.raises(ssrf.UnsafeTarget, match="localhost resolves to a private"):
        ssrf.resolve("https://localhost:8443/hook", allow_private=False)
    # A decimal spelling of 127.0.0.1 is still 127.0.0.1 once resolved.
    with pytest.raises(ssrf.UnsafeTarget, match="resolves to a private"):
        ssrf.resolve("https://2130706433/hook", allow_private=False)


def test_generated_secrets_are_standard_webhooks_secrets() -> None:
    secret = signing.generate_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert signing.generate_secret() != secret
    body = b'{"id":"evt","event":"webhook.test"}'
    now = int(dt.datetime.now(dt.UTC).timestamp())
    headers = signing.delivery_headers(secret, body=body, event="webhook.test", event_id="evt", timestamp=now)
    assert verify_signature(secret, body, headers["X-WarpWare-Signature"])
    assert Webhook(secret).verify(body, headers) == {"id": "evt", "event": "webhook.test"}


def test_raw_secrets_key_standard_webhooks_with_their_own_bytes() -> None:
    secret = "your_webhook_secret_here"
    body = b"{}"
    now = int(dt.datetime.now(dt.UTC).timestamp())
    headers = signing.delivery_headers(secret, body=body, event="x", event_id="msg_1", timestamp=now)
    assert Webhook(secret.encode()).verify(body, headers) == {}
    assert headers["webhook-signature"] == Webhook(secret.encode()).sign(
        "msg_1", dt.datetime.fromtimestamp(now, tz=dt.UTC), "{}"
    )


def test_each_event_has_one_source() -> None:
    def events(timeline_type: str, details: dict[str, object], **order: object) -> list[str]:
        emissions, _ = order_events(timeline_type, details, message="m", actor="a", order=order)
        return [e.event for e in emissions]

    assert events("received", {}) == ["order.created"]
    assert events("status_changed", {"old_status": "pending", "new_status": "hold", "reason": "x"}) == [
        "order.status_changed",
        "order.held",
    ]
    assert events("held", {"reason": "x"}) == []  # detail for order.held, not a second one
    assert events("status_changed", {"old_status": "hold", "new_status": "pending"}) == [
        "order.status_changed"
    ]
    assert events("released", {"hold_reason": "x"}) == ["order.released"]
    assert events("status_changed", {"old_status": "ready", "new_status": "failed"}) == [
        "order.status_changed",
        "order.failed",
    ]
    assert events("push_failed", {"error": "e"}) == []
    assert events("order.failed", {"error_message": "e"}) == []  # a notification, not a second event
    assert events("cancelled", {"reason": "r"}) == []
    assert events("writeback_failed", {"final": False}) == []
    assert events("writeback_failed", {"final": True}) == ["order.error"]
    assert events("rules_evaluated", {}) == []


def test_annotations_carry_emit_time_values() -> None:
    _, [annotation] = order_events(
        "held",
        {"reason": "Fraud", "hold_until": "2026-01-02T03:04:05+00:00"},
        message="m",
        actor=None,
        order={},
    )
    assert annotation == Annotation(
        "order.held", {"hold_reason": "Fraud", "hold_until": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)}
    )
    emissions, _ = order_events(
        "status_changed",
        {"old_status": "ready", "new_status": "failed"},
        message="m",
        actor=None,
        order={"error_message": "SKU missing", "error_category": "validation"},
    )
    assert emissions[1] == Emission(
        "order.failed",
        {
            "error_message": "SKU missing",
            "error_type": "validation",
            "attempt": None,
            "will_retry": False,
            "next_attempt_at": None,
        },
    )
