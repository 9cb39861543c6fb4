"""Shopify webhook deliveries: signature check and the headers that route and deduplicate them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def verify_shopify_hmac(raw_body: bytes, header_value: str | None, secrets: Sequence[str]) -> bool:
    """True when X-Shopify-Hmac-Sha256 is base64(HMAC-SHA256(secret, raw body)) for any of `secrets`.

    Pass the current and the previous app secret during a rotation: Shopify can take up to an hour to
    sign with the new one. Every secret is tried, so the time taken does not say which one matched.
    """
    if not header_value:
        return False
    presented = header_value.strip().encode("utf-8", errors="replace")
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest())
        matched |= hmac.compare_digest(expected, presented)
    return matched


@dataclass(frozen=True)
class ShopifyWebhookHeaders:
    topic: str | None
    shop_domain: str | None
    webhook_id: str | None
    api_version: str | None
    hmac_sha256: str | None


def read_shopify_headers(headers: Mapping[str, str]) -> ShopifyWebhookHeaders:
    """The delivery headers; `headers` may be any case-insensitive mapping (Starlette's Headers is one)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    return ShopifyWebhookHeaders(
        topic=lowered.get("x-shopify-topic"),
        shop_domain=lowered.get("x-shopify-shop-domain"),
        # Deduplicate on this: Shopify resends the same delivery with the same id.
        webhook_id=lowered.get("x-shopify-webhook-id"),
        api_version=lowered.get("x-shopify-api-version"),
        hmac_sha256=lowered.get("x-shopify-hmac-sha256"),
    )
