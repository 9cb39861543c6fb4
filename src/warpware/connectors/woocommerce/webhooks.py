"""WooCommerce webhook deliveries: signature check, the unsigned ping, and the routing headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

_PING_BODY = re.compile(rb"^webhook_id=\d{1,20}$")


def verify_woocommerce_signature(raw_body: bytes, header_value: str | None, secret: str) -> bool:
    """True when X-WC-Webhook-Signature is base64(HMAC-SHA256(secret, raw body)); constant-time compare."""
    if not header_value or not secret:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, header_value.strip().encode("utf-8", errors="replace"))


def is_woocommerce_ping(content_type: str | None, raw_body: bytes) -> bool:
    """The form-encoded `webhook_id=N` Woo sends, unsigned, when a webhook is created or re-activated.

    Answer it 200 without a signature check (it carries no order), or Woo counts a failure and disables
    the webhook after five. Only that exact shape counts, so a signed order body never takes this path.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/x-www-form-urlencoded" and bool(_PING_BODY.match(raw_body.strip()))


@dataclass(frozen=True)
class WooCommerceWebhookHeaders:
    topic: str | None
    resource: str | None
    event: str | None
    source: str | None
    webhook_id: str | None
    delivery_id: str | None
    signature: str | None


def read_woocommerce_headers(headers: Mapping[str, str]) -> WooCommerceWebhookHeaders:
    lowered = {key.lower(): value for key, value in headers.items()}
    return WooCommerceWebhookHeaders(
        topic=lowered.get("x-wc-webhook-topic"),
        resource=lowered.get("x-wc-webhook-resource"),
        event=lowered.get("x-wc-webhook-event"),
        source=lowered.get("x-wc-webhook-source"),
        webhook_id=lowered.get("x-wc-webhook-id"),
        # Deduplicate on this: a retried delivery keeps its id.
        delivery_id=lowered.get("x-wc-webhook-delivery-id"),
        signature=lowered.get("x-wc-webhook-signature"),
    )
