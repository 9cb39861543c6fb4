"""Settings, credentials and a wc/v3 REST client that turns failures into our typed connector errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from warpware.connectors.base import PermanentConnectorError, RetryableConnectorError

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class WooCommerceSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # The WordPress site root, e.g. https://shop.example.com (the API lives under /wp-json/wc/v3).
    base_url: str
    timeout_seconds: float = 20.0
    # Some hosts strip the Authorization header; Woo then accepts the keys as query parameters.
    query_string_auth: bool = False

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname or "@" in parts.netloc:
            raise ValueError("base_url must be an https:// URL without credentials")
        # Basic auth sends the consumer secret in every request; plain http is only for a local test shop.
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            raise ValueError("base_url must use https")
        return value.strip().rstrip("/")


class WooCommerceCredentials(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    consumer_key: SecretStr
    consumer_secret: SecretStr


class WooCommerceClient:
    def __init__(
        self,
        settings: WooCommerceSettings,
        credentials: WooCommerceCredentials,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        self._settings = settings
        self._credentials = credentials
        self._client = client or httpx.Client(timeout=settings.timeout_seconds)
        self._owns_client = client is None

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call /wp-json/wc/v3{path}; returns the decoded JSON (still untrusted: check its shape)."""
        key = self._credentials.consumer_key.get_secret_value()
        secret = self._credentials.consumer_secret.get_secret_value()
        query = dict(params or {})
        auth: httpx.BasicAuth | None = httpx.BasicAuth(key, secret)
        if self._settings.query_string_auth:
            query.update(consumer_key=key, consumer_secret=secret)
            auth = None
        url = f"{self._settings.base_url}/wp-json/wc/v3{path}"
        try:
            response = self._client.request(
                method,
                url,
                params=query or None,
                json=json_body,
                auth=auth,
                headers={"Accept": "application/json"},
            )
        except httpx.TimeoutException as exc:
            raise RetryableConnectorError(
                f"WooCommerce timed out: {exc}", category="network_timeout"
            ) from exc
        except httpx.TransportError as exc:
            raise RetryableConnectorError(
                f"WooCommerce unreachable: {exc}", category="network_timeout"
            ) from exc
        _raise_for_status(response)
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            # Often a PHP warning printed before the JSON by a plugin; it tends to come and go.
            raise RetryableConnectorError(
                "WooCommerce answered with malformed JSON",
                category="server",
                status_code=response.status_code,
            ) from None


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    detail = _error_text(response)
    if status == 429:
        raise RetryableConnectorError(
            f"WooCommerce rate limit: {detail}",
            category="rate_limit",
            status_code=status,
            retry_after=_retry_after(response),
        )
    if status in (401, 403):
        raise PermanentConnectorError(
            f"WooCommerce refused the API keys ({status}): {detail}", category="auth", status_code=status
        )
    if status >= 500:
        raise RetryableConnectorError(
            f"WooCommerce server error ({status}): {detail}",
            category="server",
            status_code=status,
            retry_after=_retry_after(response),
        )
    raise PermanentConnectorError(
        f"WooCommerce rejected the request ({status}): {detail}", category="validation", status_code=status
    )


def _retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if 0 <= seconds < 86_400 else None


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        code = body.get("code")
        return f"{body['message']} ({code})" if isinstance(code, str) else str(body["message"])
    return str(body)[:200]
