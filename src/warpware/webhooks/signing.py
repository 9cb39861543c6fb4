"""Webhook secrets and the signature headers of a delivery.

Two signatures over the same raw body, so a receiver can use either:
- `X-WarpWare-Signature: sha256=<hex HMAC-SHA256(body)>`, keyed with the secret's UTF-8 bytes exactly as
  registered (what the Partner API reference's `verify_signature` checks);
- Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` over
  `{id}.{timestamp}.{body}`). Its key is the base64-decoded part after `whsec_` for secrets in that form
  (the ones we generate), and the secret's UTF-8 bytes otherwise, so that a caller-supplied
  "my_secret" signs with exactly the bytes its owner typed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
USER_AGENT = "WarpWare-Webhooks/1.0"


def generate_secret() -> str:
    """32 random bytes in the Standard Webhooks form, usable as-is by its libraries."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    return secret.encode()


def is_valid_whsec(secret: str) -> bool:
    try:
        return len(standard_key(secret)) >= 16
    except (binascii.Error, ValueError):
        return False


def warpware_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def delivery_headers(
    secret: str, *, body: bytes, event: str, event_id: str, timestamp: int
) -> dict[str, str]:
    """Every header of one attempt. The ids stay the same across retries and replays of an event;
    the timestamp is the attempt's, so a receiver's replay window sees when it was really sent."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-WarpWare-Signature": warpware_signature(secret, body),
        "X-WarpWare-Event": event,
        "X-WarpWare-Delivery": event_id,
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, event_id, timestamp, body),
    }
