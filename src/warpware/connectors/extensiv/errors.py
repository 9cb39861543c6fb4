"""Turning Extensiv's answers and transport failures into our typed connector errors."""

from __future__ import annotations

import datetime as dt
import json
from email.utils import parsedate_to_datetime

import httpx

from warpware.connectors.base import ConnectorError, PermanentConnectorError, RetryableConnectorError

_MESSAGE_KEYS = ("Message", "message", "Hint", "hint", "error_description", "detail", "error", "ErrorCode")
_MAX_MESSAGE = 300


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return max(0.0, seconds)


def remote_message(response: httpx.Response) -> str:
    """The remote's own words for what went wrong, shortened; never raises on a strange body."""
    text = response.text.strip()
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in _MESSAGE_KEYS:
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                text = value.strip()
                break
    if not text:
        text = response.reason_phrase or "no message"
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def error_for_response(method: str, path: str, response: httpx.Response) -> ConnectorError:
    status = response.status_code
    message = f"Extensiv {method} {path} answered {status}: {remote_message(response)}"
    if status == 429:
        return RetryableConnectorError(
            message,
            category="rate_limit",
            status_code=status,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    if status in (401, 403):
        return PermanentConnectorError(message, category="auth", status_code=status)
    if status == 408:
        return RetryableConnectorError(message, category="network_timeout", status_code=status)
    if status >= 500:
        return RetryableConnectorError(
            message,
            category="server",
            status_code=status,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    # 400, 404, 409, 412, 422 and anything else unexpected (a redirect means a wrong base_url): sending
    # the same request again will not help until a person looks.
    return PermanentConnectorError(message, category="validation", status_code=status)


def error_for_transport(method: str, path: str, exc: httpx.HTTPError) -> ConnectorError:
    if isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        kind = type(exc).__name__
        return RetryableConnectorError(
            f"Extensiv {method} {path} failed: {kind}: {exc or 'no detail'}", category="network_timeout"
        )
    return PermanentConnectorError(
        f"Extensiv {method} {path} could not be sent: {type(exc).__name__}: {exc}", category="validation"
    )


def malformed(
    method: str, path: str, problem: str, status_code: int | None = None
) -> RetryableConnectorError:
    """A success answer we cannot use. Retryable: a garbled answer is often transient, and a resend is
    safe because submit looks the reference up before creating anything."""
    return RetryableConnectorError(
        f"Extensiv {method} {path} answered with an unusable body: {problem}",
        category="server",
        status_code=status_code,
    )
