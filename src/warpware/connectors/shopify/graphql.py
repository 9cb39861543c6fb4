"""A small Admin GraphQL client that turns every way a call can fail into our typed connector errors."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from warpware.connectors.base import PermanentConnectorError, RetryableConnectorError

_SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
_API_VERSION = re.compile(r"^(\d{4}-\d{2}|unstable)$")
_LOCATION = re.compile(r"^(?:gid://shopify/Location/)?([0-9]{1,20})$")


class ShopifySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # The permanent myshopify.com domain: custom storefront domains do not serve the Admin API, and
    # pinning the suffix keeps a typo (or a hostile value) from sending our token anywhere else.
    shop_domain: str
    api_version: str = "2025-01"
    # Tests point this at a local fake; production leaves it unset.
    base_url: str | None = None
    timeout_seconds: float = 20.0
    notify_customer: bool = True
    # The Shopify location inventory pushes set (numeric id or gid://shopify/Location/N); without one
    # the shop's primary location.
    location_id: str | None = None

    @field_validator("shop_domain")
    @classmethod
    def _check_domain(cls, value: str) -> str:
        domain = value.strip().lower().removeprefix("https://").rstrip("/")
        if not _SHOP_DOMAIN.match(domain):
            raise ValueError("shop_domain must look like your-shop.myshopify.com")
        return domain

    @field_validator("api_version")
    @classmethod
    def _check_version(cls, value: str) -> str:
        if not _API_VERSION.match(value):
            raise ValueError("api_version must look like 2025-01")
        return value

    @field_validator("location_id")
    @classmethod
    def _check_location(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _LOCATION.match(value.strip())
        if match is None:
            raise ValueError(
                "location_id must be a Shopify location id such as 65432109 or gid://shopify/Location/65432109"
            )
        return f"gid://shopify/Location/{match.group(1)}"

    @property
    def graphql_url(self) -> str:
        base = (self.base_url or f"https://{self.shop_domain}").rstrip("/")
        return f"{base}/admin/api/{self.api_version}/graphql.json"


class ShopifyCredentials(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    access_token: SecretStr


class ShopifyGraphQL:
    """POSTs queries to {base}/admin/api/{version}/graphql.json and returns `data`, or raises."""

    def __init__(
        self,
        settings: ShopifySettings,
        credentials: ShopifyCredentials,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        self._url = settings.graphql_url
        self._token = credentials.access_token
        self._client = client or httpx.Client(timeout=settings.timeout_seconds)
        self._owns_client = client is None

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self._client.post(
                self._url,
                json={"query": query, "variables": dict(variables or {})},
                headers={
                    "X-Shopify-Access-Token": self._token.get_secret_value(),
                    "Accept": "application/json",
                },
            )
        except httpx.TimeoutException as exc:
            raise RetryableConnectorError(f"Shopify timed out: {exc}", category="network_timeout") from exc
        except httpx.TransportError as exc:
            raise RetryableConnectorError(f"Shopify unreachable: {exc}", category="network_timeout") from exc
        _raise_for_status(response)
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise RetryableConnectorError(
                "Shopify answered with malformed JSON", category="server", status_code=response.status_code
            ) from None
        if not isinstance(body, dict):
            raise RetryableConnectorError(
                "Shopify answered with a JSON value that is not an object",
                category="server",
                status_code=response.status_code,
            )
        _raise_for_errors(body, response.status_code)
        data = body.get("data")
        if not isinstance(data, dict):
            raise RetryableConnectorError(
                "Shopify answered without data", category="server", status_code=response.status_code
            )
        return data


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    detail = _error_text(response)
    if status == 429:
        raise RetryableConnectorError(
            f"Shopify rate limit: {detail}",
            category="rate_limit",
            status_code=status,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    if status in (401, 403):
        raise PermanentConnectorError(
            f"Shopify refused the access token ({status}): {detail}", category="auth", status_code=status
        )
    if status in (402, 423):
        # 402: the shop is frozen for an unpaid bill; 423: the shop is locked. A person must act.
        raise PermanentConnectorError(
            f"Shopify shop unavailable ({status}): {detail}", category="auth", status_code=status
        )
    if status >= 500:
        raise RetryableConnectorError(
            f"Shopify server error ({status}): {detail}",
            category="server",
            status_code=status,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    raise PermanentConnectorError(
        f"Shopify rejected the request ({status}): {detail}", category="validation", status_code=status
    )


def _raise_for_errors(body: Mapping[str, Any], status: int) -> None:
    errors = body.get("errors")
    if not errors:
        return
    if isinstance(errors, str):
        raise PermanentConnectorError(
            f"Shopify error: {errors[:300]}", category="validation", status_code=status
        )
    entries = [e for e in errors if isinstance(e, Mapping)] if isinstance(errors, list) else []
    codes = {_error_code(e) for e in entries}
    messages = "; ".join(str(e.get("message", ""))[:200] for e in entries) or "unknown error"
    if "THROTTLED" in codes or any(str(e.get("message", "")).lower() == "throttled" for e in entries):
        raise RetryableConnectorError(
            f"Shopify throttled the query: {messages}",
            category="rate_limit",
            status_code=status,
            retry_after=_throttle_wait(body),
        )
    if "ACCESS_DENIED" in codes:
        raise PermanentConnectorError(
            f"Shopify denied access: {messages}", category="auth", status_code=status
        )
    if "INTERNAL_SERVER_ERROR" in codes:
        raise RetryableConnectorError(
            f"Shopify internal error: {messages}", category="server", status_code=status
        )
    raise PermanentConnectorError(
        f"Shopify GraphQL error: {messages}", category="validation", status_code=status
    )


def _error_code(entry: Mapping[str, Any]) -> str | None:
    extensions = entry.get("extensions")
    if isinstance(extensions, Mapping) and isinstance(extensions.get("code"), str):
        return str(extensions["code"])
    return None


def _throttle_wait(body: Mapping[str, Any]) -> float | None:
    # The bucket refills at restoreRate points per second; wait until it holds the query's cost.
    try:
        cost = body["extensions"]["cost"]
        status = cost["throttleStatus"]
        needed = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return None
    if rate <= 0:
        return None
    return max(round(needed / rate, 3), 1.0)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds < 86_400 else None


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and "errors" in body:
        return str(body["errors"])[:300]
    return str(body)[:300]
