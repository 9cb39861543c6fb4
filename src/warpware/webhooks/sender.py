"""One HTTP attempt of a delivery: checked address, pinned connection, no redirects, bounded time."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import httpx

from warpware.webhooks import ssrf

# How much of a receiver's answer is kept for the deliveries list (and read at all).
RESPONSE_SNIPPET_BYTES = 1000
_CLIENTS_KEPT = 64


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    response_snippet: str | None = None


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool) -> Outcome:
    """POST `body` to `url`; a 2xx answer within `timeout` seconds is a success, anything else is not."""
    started = time.monotonic()
    try:
        target = ssrf.resolve(url, allow_private=allow_private)
    except ssrf.UnsafeTarget as exc:
        return Outcome(False, None, f"refused: {exc}", _ms(started))
    # Connect to the address just checked (a second DNS lookup could answer differently), while
    # Host, SNI and the certificate check use the URL's name.
    request_url = httpx.URL(url).copy_with(host=target.address)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    default_port = 443 if target.scheme == "https" else 80
    if target.port != default_port:
        host_header += f":{target.port}"
    deadline = started + timeout
    try:
        with _client(target, timeout).stream(
            "POST", request_url, content=body, headers={**headers, "Host": host_header}, extensions=extensions
        ) as response:
            snippet = _read_some(response, deadline)
            status = response.status_code
    except httpx.TimeoutException:
        return Outcome(False, None, f"timeout: no complete answer within {timeout:g} s", _ms(started))
    except _Deadline:
        return Outcome(False, None, f"timeout: the answer took longer than {timeout:g} s", _ms(started))
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"connection failed: {type(exc).__name__}: {exc}"[:500], _ms(started))
    ok = 200 <= status < 300
    error = None
    if not ok:
        error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    return Outcome(ok, status, error, _ms(started), snippet)


class _Deadline(Exception):
    pass


def _read_some(response: httpx.Response, deadline: float) -> str:
    """Up to RESPONSE_SNIPPET_BYTES of the answer; a receiver that trickles its body past the deadline
    fails like one that never answered."""
    kept = b""
    for chunk in response.iter_raw():
        if time.monotonic() > deadline:
            raise _Deadline
        kept += chunk
        if len(kept) >= RESPONSE_SNIPPET_BYTES:
            break
    return kept[:RESPONSE_SNIPPET_BYTES].decode("utf-8", "replace")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# Keep-alive per (name, address): a pooled connection is only ever reused for the host name its TLS
# session was verified for, never for another name that happens to share the address.
_clients: OrderedDict[tuple[str, str, int, str, float], httpx.Client] = OrderedDict()
_clients_lock = threading.Lock()


def _client(target: ssrf.Target, timeout: float) -> httpx.Client:
    key = (target.scheme, target.host, target.port, target.address, timeout)
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
        client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8, keepalive_expiry=30.0),
        )
        _clients[key] = client
        while len(_clients) > _CLIENTS_KEPT:
            # Not closed here: another thread may be mid-request on it; it closes when collected.
            _clients.popitem(last=False)
        return client


def close_clients() -> None:
    with _clients_lock:
        while _clients:
            _, client = _clients.popitem()
            client.close()
