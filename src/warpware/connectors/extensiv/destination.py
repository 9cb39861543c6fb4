"""Extensiv 3PL Warehouse Manager as a destination: orders out, tracking back, labels injected."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import httpx

from warpware.connectors.base import (
    Label,
    OutboundOrder,
    PermanentConnectorError,
    SubmitResult,
    TrackingUpdate,
)
from warpware.connectors.extensiv.errors import error_for_response, error_for_transport, malformed
from warpware.connectors.extensiv.mapping import (
    order_body,
    order_id_of,
    orders_in_list,
    status_of,
    tracking_update,
)
from warpware.connectors.extensiv.settings import ExtensivCredentials, ExtensivSettings
from warpware.connectors.extensiv.tokens import TokenStore, default_token_store, token_key
from warpware.connectors.ratelimit import RateLimiter, limiter_for

TOKEN_PATH = "/AuthServer/api/Token"
HAL_JSON = "application/hal+json"
# Used when the token answer leaves out expires_in; a token that dies sooner is caught by the 401 retry.
DEFAULT_TOKEN_LIFETIME = 1800.0
CANCEL_REASON = "Cancelled in WarpWare"

T = TypeVar("T")


class ExtensivDestination:
    """Extensiv 3PL Warehouse Manager as a Destination and LabelSink.

    Creating an order at Extensiv is not idempotent, so submit looks the reference up first. Every
    failure leaves as a RetryableConnectorError or PermanentConnectorError; nothing else escapes.
    """

    def __init__(
        self,
        settings: ExtensivSettings,
        credentials: ExtensivCredentials,
        *,
        client: httpx.Client | None = None,
        rate_limiter: RateLimiter | None = None,
        token_store: TokenStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._credentials = credentials
        self._owns_client = client is None
        self._client = client or httpx.Client()
        # Timeouts go on every request, so a shared client's own defaults never decide them.
        self._timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        self._tokens = token_store or default_token_store
        self._token_key = token_key(
            settings.base_url,
            credentials.client_id,
            credentials.client_secret.get_secret_value(),
            settings.user_login_id,
        )
        self._limiter = rate_limiter or limiter_for(
            f"extensiv|{self._token_key}|{settings.customer_id}", settings.requests_per_minute
        )
        self._clock = clock

    # -- Destination -----------------------------------------------------------------------------

    def submit(self, order: OutboundOrder) -> SubmitResult:
        existing = self._find_by_reference(order.reference)
        if existing is not None:
            return self._already_there(existing)
        try:
            response = self._request("POST", "/orders", body=order_body(order, self.settings))
        except PermanentConnectorError as exc:
            # Lookup-then-create is not atomic: another sender (a worker whose lease ran out while it was
            # paused) may have created the order between our lookup and our create. A warehouse that
            # refuses duplicate references answers 409; the order is there, so this send succeeded.
            if exc.status_code != 409:
                raise
            existing = self._find_by_reference(order.reference)
            if existing is None:
                raise
            return self._already_there(existing)
        created = self._json_object(response, "POST", "/orders")
        order_id, raw_status = self._read(
            lambda: (order_id_of(created), status_of(created)[0]), "POST", "/orders", response.status_code
        )
        return SubmitResult(
            destination_order_id=str(order_id), raw_status=raw_status, response_status=response.status_code
        )

    def _already_there(self, existing: dict[str, Any]) -> SubmitResult:
        order_id, raw_status = self._read(
            lambda: (order_id_of(existing), status_of(existing)[0]), "GET", "/orders"
        )
        return SubmitResult(
            destination_order_id=str(order_id),
            raw_status=raw_status,
            response_status=200,
            already_existed=True,
        )

    def poll_tracking(self, reference: str, destination_order_id: str | None) -> TrackingUpdate | None:
        """Extensiv's current view of the order (None only when Extensiv does not know the reference)."""
        if destination_order_id is None:
            order = self._find_by_reference(reference)
            if order is None:
                return None
            path = "/orders"
        else:
            path = self._order_path(destination_order_id)
            order, _ = self._get_order(path, reference)
        return self._read(lambda: tracking_update(order), "GET", path)

    def cancel(self, reference: str, destination_order_id: str | None) -> None:
        if destination_order_id is None:
            found = self._find_by_reference(reference)
            if found is None:
                return
            destination_order_id = str(self._read(lambda: order_id_of(found), "GET", "/orders"))
        path = self._order_path(destination_order_id)
        try:
            order, etag = self._get_order(path, reference)
        except PermanentConnectorError as exc:
            if exc.status_code == 404:
                return
            raise
        raw_status, status = self._read(lambda: status_of(order), "GET", path)
        if status == "cancelled":
            return
        if status in ("shipped", "delivered"):
            raise PermanentConnectorError(
                f"Extensiv order {destination_order_id} is {raw_status} and can no longer be cancelled",
                category="validation",
            )
        # If-Match makes Extensiv refuse the cancel when the order changed since we looked at it.
        headers = {"If-Match": etag} if etag else None
        self._request("POST", f"{path}/canceler", body={"reason": CANCEL_REASON}, headers=headers)

    def test(self) -> None:
        self._access_token()
        response = self._request("GET", "/orders", params={"pgsiz": 1, "pgnum": 1})
        data = self._json_object(response, "GET", "/orders")
        self._read(lambda: orders_in_list(data), "GET", "/orders")

    # -- LabelSink -------------------------------------------------------------------------------

    def attach_label(self, destination_order_id: str, label: Label) -> None:
        """Inject a pre-generated parcel label (POST /orders/{id}/labels; attaching a label id again
        replaces it, so a resend is harmless)."""
        path = f"{self._order_path(destination_order_id)}/labels"
        body = {
            "labelId": label.label_id,
            "trackingNumber": label.tracking_number,
            "carrier": label.carrier,
            "labelUrl": label.label_url,
            "labelFormat": label.label_format,
        }
        self._request("POST", path, body={key: value for key, value in body.items() if value is not None})

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> ExtensivDestination:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # -- calls -----------------------------------------------------------------------------------

    def _find_by_reference(self, reference: str) -> dict[str, Any] | None:
        response = self._request(
            "GET", "/orders", params={"rql": f"referenceNum=={reference}", "pgsiz": 10, "pgnum": 1}
        )
        data = self._json_object(response, "GET", "/orders")
        orders = self._read(lambda: orders_in_list(data), "GET", "/orders")
        # RQL matching may be looser than ours (case, wildcards); only an exact reference counts.
        matches = [order for order in orders if order.get("referenceNum") == reference]
        if not matches:
            return None
        # Several orders with one reference means someone double-sent before; the oldest is the one.
        return min(matches, key=lambda order: self._read(lambda: order_id_of(order), "GET", "/orders"))

    def _get_order(self, path: str, reference: str) -> tuple[dict[str, Any], str | None]:
        response = self._request("GET", path)
        order = self._json_object(response, "GET", path)
        remote_reference = order.get("referenceNum")
        if isinstance(remote_reference, str) and remote_reference != reference:
            raise PermanentConnectorError(
                f"Extensiv {path} holds referenceNum {remote_reference}, not {reference}",
                category="validation",
            )
        return order, response.headers.get("etag")

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        token = self._access_token()
        response = self._send(method, path, params=params, body=body, headers=headers, token=token)
        if response.status_code == 401:
            # A token can die before its announced expiry (revoked, auth server restarted): fetch one new
            # token and try once more. A 401 means nothing was done, so a resent create is safe.
            self._tokens.discard(self._token_key, token)
            token = self._access_token()
            response = self._send(method, path, params=params, body=body, headers=headers, token=token)
        if not response.is_success:
            raise error_for_response(method, path, response)
        return response

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        all_headers = {"Accept": HAL_JSON}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            all_headers["Content-Type"] = f"{HAL_JSON}; charset=utf-8"
        all_headers.update(headers or {})
        if self._limiter is not None:
            self._limiter.acquire()
        try:
            return self._client.request(
                method,
                self.settings.base_url + path,
                params=params,
                content=content,
                headers=all_headers,
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise error_for_transport(method, path, exc) from exc

    def _access_token(self) -> str:
        cached = self._tokens.get(self._token_key, self._clock())
        if cached is not None:
            return cached
        with self._tokens.fetch_lock(self._token_key):
            cached = self._tokens.get(self._token_key, self._clock())
            if cached is not None:
                return cached
            value, lifetime = self._fetch_token()
            self._tokens.put(self._token_key, value, lifetime, self._clock())
            return value

    def _fetch_token(self) -> tuple[str, float]:
        pair = f"{self._credentials.client_id}:{self._credentials.client_secret.get_secret_value()}"
        body: dict[str, Any] = {"grant_type": "client_credentials"}
        if self.settings.user_login_id is not None:
            body["user_login_id"] = self.settings.user_login_id
        response = self._send(
            "POST",
            TOKEN_PATH,
            body=body,
            headers={
                "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
                "Accept": "application/json",
            },
        )
        if not response.is_success:
            raise error_for_response("POST", TOKEN_PATH, response)
        data = self._json_object(response, "POST", TOKEN_PATH)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise malformed("POST", TOKEN_PATH, "access_token is missing", response.status_code)
        lifetime = data.get("expires_in")
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME
        return token, float(lifetime)

    # -- reading answers -------------------------------------------------------------------------

    def _json_object(self, response: httpx.Response, method: str, path: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as exc:
            raise malformed(method, path, f"not JSON ({exc})", response.status_code) from exc
        if not isinstance(data, dict):
            raise malformed(
                method, path, f"expected a JSON object, got {type(data).__name__}", response.status_code
            )
        return data

    def _read(self, read: Callable[[], T], method: str, path: str, status_code: int | None = None) -> T:
        try:
            return read()
        except ValueError as exc:
            raise malformed(method, path, str(exc), status_code) from exc

    @staticmethod
    def _order_path(destination_order_id: str) -> str:
        # The id comes back from the remote and goes into a URL: only digits may.
        if not destination_order_id.isdigit():
            raise PermanentConnectorError(
                f"Extensiv order id {destination_order_id!r} is not a number", category="validation"
            )
        return f"/orders/{destination_order_id}"
