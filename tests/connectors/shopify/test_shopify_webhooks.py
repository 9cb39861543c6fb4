from __future__ import annotations

import base64
import hashlib
import hmac

from fake_shopify import FIXTURES

from warpware.connectors.shopify import read_shopify_headers, verify_shopify_hmac

CURRENT = "shpss_current_5e0b6f"
PREVIOUS = "shpss_previous_91ad3c"
BODY = (FIXTURES / "order_null_sku.json").read_bytes()


def _sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_a_body_signed_with_the_current_secret_verifies() -> None:
    assert verify_shopify_hmac(BODY, _sign(CURRENT, BODY), [CURRENT]) is True


def test_a_body_signed_with_the_previous_secret_verifies_during_a_rotation() -> None:
    assert verify_shopify_hmac(BODY, _sign(PREVIOUS, BODY), [CURRENT, PREVIOUS]) is True
    assert verify_shopify_hmac(BODY, _sign(PREVIOUS, BODY), [CURRENT]) is False


def test_a_known_vector_verifies() -> None:
    # Computed independently: printf '{"id":1}' | openssl dgst -sha256 -hmac secret -binary | base64
    assert (
        verify_shopify_hmac(b'{"id":1}', "A971iWIMgT8Zj9A9eWfikrFj7wQ16/Qwcc4OlRl2PLc=", ["secret"]) is True
    )


def test_tampering_or_a_missing_header_fails() -> None:
    signature = _sign(CURRENT, BODY)

    assert verify_shopify_hmac(BODY + b" ", signature, [CURRENT]) is False
    assert verify_shopify_hmac(BODY, None, [CURRENT]) is False
    assert verify_shopify_hmac(BODY, "", [CURRENT]) is False
    assert verify_shopify_hmac(BODY, "not base64 at all é", [CURRENT]) is False
    assert verify_shopify_hmac(BODY, signature, []) is False
    assert verify_shopify_hmac(BODY, signature, [""]) is False
    assert verify_shopify_hmac(BODY, _sign("", BODY), [""]) is False  # an empty secret never matches


def test_surrounding_whitespace_in_the_header_is_ignored() -> None:
    assert verify_shopify_hmac(BODY, f" {_sign(CURRENT, BODY)}\n", [CURRENT]) is True


def test_delivery_headers_are_read_case_insensitively() -> None:
    headers = read_shopify_headers(
        {
            "X-Shopify-Topic": "orders/create",
            "x-shopify-shop-domain": "warpware-demo.myshopify.com",
            "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            "X-Shopify-API-Version": "2025-01",
            "X-Shopify-Hmac-Sha256": "abc=",
        }
    )

    assert headers.topic == "orders/create"
    assert headers.shop_domain == "warpware-demo.myshopify.com"
    assert headers.webhook_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    assert headers.api_version == "2025-01"
    assert headers.hmac_sha256 == "abc="
