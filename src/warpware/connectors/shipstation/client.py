"""ShipStation v1 settings, credentials, and an HTTP client that rate-limits itself per account and turns
every failure into our typed connector errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from warpware.connectors.base import PermanentConnectorError, RetryableConnectorError
from warpware.connectors.shipstation.throttle import LimiterBusy, SlidingWindowLimiter, account_limiter

DEFAULT_BASE_URL = "https://ssapi.shipstation.com"


class ShipStationSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = DEFAULT_BASE_URL
    store_id: int | None = None
    warehouse_id: int | None = None
    requests_per_minute: int = Field(default=40, ge=1)
    timeout_seconds: float = 30.0
    # The longest a worker thread blocks for a request slot before handing the job back as a retry.
    max_wait_seconds: float = 10.0

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname or "@" in parts.netloc:
            raise ValueError("base_url must be an http(s) URL without credentials")
        return value.strip().rstrip("/")


class ShipStationCredentials(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr
    api_secret: SecretStr


class ShipStationClient:
    def __init__(
        self,
        settings: ShipStationSettings,
        credentials: ShipStationCredentials,
        *,
        limiter: SlidingWindowLimiter | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self._auth = httpx.BasicAuth(
            credentials.api_key.get_secret_value(), credentials.api_secret.get_secret_value()
        )
        self._limiter = limiter or account_limiter(
            f"{settings.base_url}|{credentials.api_key.get_secret_value()}", settings.requests_per_minute
        )
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
        params: Mapping[str, str] | tuple[tuple[str, str], ...] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call {base_url}{path} (path may carry a query); returns decoded, still untrusted, JSON."""
        try:
            self._limiter.acquire(self.settings.max_wait_seconds)
        except LimiterBusy as busy:
            raise RetryableConnectorError(
                "ShipStation request budget for this account is spent",
                category="rate_limit",
                retry_after=busy.retry_after,
            ) from None
        try:
            response = self._client.request(
                method,
                f"{self.settings.base_url}{path}",
                params=params,
                json=json_body,
                auth=self._auth,
                headers={"Accept": "application/json"},
            )
        except httpx.TimeoutException as exc:
            raise RetryableConnectorError(
                f"ShipStation timed out: {exc}", category="network_timeout"
            ) from exc
        except httpx.TransportError as exc:
            raise RetryableConnectorError(
                f"ShipStation unreachable: {exc}", category="network_timeout"
            ) from exc
        self._note_budget(response)
        self._raise_for_status(response)
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise RetryableConnectorError(
                "ShipStation answered with malformed JSON",
                category="server",
                status_code=response.status_code,
            ) from None

    def _note_budget(self, response: httpx.Response) -> None:
        # Other apps on the same ShipStation account spend the same budget; believe the server's count.
        remaining = _number(response.headers.get("X-Rate-Limit-Remaining"))
        reset = _number(response.headers.get("X-Rate-Limit-Reset"))
        if response.status_code == 429 or (remaining is not None and remaining <= 0):
            self._limiter.block_for(_wait_seconds(response) or reset or 60.0)

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        detail = _error_text(response)
        if status == 429:
            raise RetryableConnectorError(
                f"ShipStation rate limit: {detail}",
                category="rate_limit",
                status_code=status,
                retry_after=_wait_seconds(response),
            )
        if status in (401, 403):
            raise PermanentConnectorError(
                f"ShipStation refused the API key ({status}): {detail}", category="auth", status_code=status
            )
        if status >= 500:
            raise RetryableConnectorError(
                f"ShipStation server error ({status}): {detail}", category="server", status_code=status
            )
        raise PermanentConnectorError(
            f"ShipStation rejected the request ({status}): {detail}",
            category="validation",
            status_code=status,
        )


def _wait_seconds(response: httpx.Response) -> float | None:
    # ShipStation v1 sends X-Rate-Limit-Reset (seconds until the window resets); others send Retry-After.
    for header in ("X-Rate-Limit-Reset", "Retry-After"):
        seconds = _number(response.headers.get(header))
        if seconds is not None and 0 <= seconds < 86_400:
            return seconds
    return None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200] or response.reason_phrase
    if not isinstance(body, dict):
        return str(body)[:200]
    parts = [str(body[key]) for key in ("Message", "ExceptionMessage") if isinstance(body.get(key), str)]
    model_state = body.get("ModelState")
    if isinstance(model_state, dict):
        for field, messages in model_state.items():
            if isinstance(messages, list):
                parts.append(f"{field}: {'; '.join(str(m) for m in messages)}")
    return " ".join(parts)[:500] if parts else str(body)[:200]
