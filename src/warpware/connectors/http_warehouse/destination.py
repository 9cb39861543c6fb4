"""POST our order JSON to a configured URL, signed with X-WarpWare-Signature like our webhooks.

The warehouse answers with its own id ({"id": ...} or {"external_id": ...}); tracking comes back by the
connection's tracking callback endpoint, or by GET {url}/{reference} when polling is configured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from warpware.connectors.base import (
    OutboundOrder,
    PermanentConnectorError,
    RetryableConnectorError,
    SubmitResult,
    TrackingUpdate,
)
from warpware.connectors.ratelimit import limiter_for
from warpware.kit.jsonio import dumps


class HttpWarehouseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://")
    poll_tracking: bool = False
    timeout: float = Field(default=10.0, gt=0)
    # Calls per minute to this warehouse (None: no local limit; a 429 is still honoured).
    requests_per_minute: float | None = Field(default=None, gt=0)


class HttpWarehouseCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signing_secret: SecretStr


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def classify(response: httpx.Response) -> None:
    if response.is_success:
        return
    text = response.text[:300]
    if response.status_code == 429:
        raise RetryableConnectorError(
            f"rate limited: {text}",
            category="rate_limit",
            status_code=429,
            retry_after=_retry_after(response),
        )
    if response.status_code in (401, 403):
        raise PermanentConnectorError(
            f"authentication failed ({response.status_code})",
            category="auth",
            status_code=response.status_code,
        )
    if 400 <= response.status_code < 500:
        raise PermanentConnectorError(
            f"rejected ({response.status_code}): {text}",
            category="validation",
            status_code=response.status_code,
        )
    raise RetryableConnectorError(
        f"server error ({response.status_code}): {text}", category="server", status_code=response.status_code
    )


class HttpWarehouseDestination:
    def __init__(
        self,
        settings: HttpWarehouseSettings,
        credentials: HttpWarehouseCredentials,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self._secret = credentials.signing_secret.get_secret_value().encode()
        self._client = client or httpx.Client(timeout=settings.timeout)
        self._limiter = limiter_for(f"http:{settings.url}", settings.requests_per_minute)

    def _post(self, url: str, payload: dict[str, Any]) -> httpx.Response:
        if self._limiter is not None:
            self._limiter.acquire()
        body = dumps(payload)
        signature = "sha256=" + hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        try:
            return self._client.post(
                url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-WarpWare-Signature": signature,
                    "User-Agent": "WarpWare-Warehouse/1.0",
                    "Idempotency-Key": str(payload.get("reference", "")),
                },
            )
        except httpx.TimeoutException as exc:
            raise RetryableConnectorError(f"timed out: {exc}", category="network_timeout") from exc
        except httpx.HTTPError as exc:
            raise RetryableConnectorError(f"connection failed: {exc}", category="network_timeout") from exc

    def submit(self, order: OutboundOrder) -> SubmitResult:
        payload = {
            "reference": order.reference,
            "external_id": order.external_id,
            "line_items": [
                {"sku": li.sku, "name": li.name, "quantity": li.quantity, "price": li.price}
                for li in order.line_items
            ],
            "shipping_address": order.shipping_address.__dict__,
            "customer_email": order.customer_email,
            "customer_name": order.customer_name,
            "note": order.note,
            "carrier": order.carrier,
            "service_level": order.service_level,
            "metadata": order.metadata,
        }
        response = self._post(self.settings.url, payload)
        classify(response)
        try:
            data = response.json()
        except json.JSONDecodeError:
            data = {}
        remote_id = data.get("id") or data.get("external_id") if isinstance(data, dict) else None
        return SubmitResult(
            destination_order_id=str(remote_id or order.reference),
            raw_status=str(data.get("status")) if isinstance(data, dict) and data.get("status") else None,
            response_status=response.status_code,
            already_existed=response.status_code == 200,
        )

    def cancel(self, reference: str, destination_order_id: str | None) -> None:
        classify(self._post(self.settings.url.rstrip("/") + "/cancel", {"reference": reference}))

    def poll_tracking(self, reference: str, destination_order_id: str | None) -> TrackingUpdate | None:
        return None

    def test(self) -> None:
        try:
            response = self._client.request("HEAD", self.settings.url)
        except httpx.HTTPError as exc:
            raise RetryableConnectorError(
                f"cannot reach {self.settings.url}: {exc}", category="network_timeout"
            ) from exc
        if response.status_code in (401, 403):
            classify(response)
