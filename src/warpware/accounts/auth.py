"""The Partner API's authentication, rate limit and scope checks, as FastAPI dependencies."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import replace

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from warpware.accounts import repository
from warpware.accounts.domain import Principal
from warpware.accounts.ratelimit import MemoryRateLimiter, RateLimiter
from warpware.accounts.service import Authenticated, authenticate
from warpware.db import Database
from warpware.errors import Forbidden, TooManyRequests
from warpware.kit.clock import utcnow


class AuthCache:
    """Resolved keys for a moment, so a busy key is not looked up on every request.

    A revoked or expired key stops working within `ttl` seconds (WARPWARE_AUTH_CACHE_SECONDS, 1 s by
    default; 0 turns the cache off). Failures are never cached.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Authenticated]] = {}
        self._lock = threading.Lock()

    def cached(self, authorization: str | None) -> Authenticated | None:
        """The still-valid resolution of this header, if one is cached (never touches the database)."""
        if self.ttl <= 0 or not authorization:
            return None
        with self._lock:
            hit = self._entries.get(authorization)
        if hit is None or hit[0] <= time.monotonic():
            return None
        expires_at = hit[1].expires_at
        if expires_at is not None and expires_at <= utcnow():
            return None
        return hit[1]

    def touched(self, authorization: str | None, at: dt.datetime) -> None:
        """Remember a last-active write, so the cached key does not ask for another one at once."""
        if not authorization:
            return
        with self._lock:
            hit = self._entries.get(authorization)
            if hit is not None:
                self._entries[authorization] = (hit[0], replace(hit[1], last_active_at=at))

    def resolve(self, database: Database, authorization: str | None) -> Authenticated:
        if self.ttl <= 0 or not authorization:
            with database.reading() as session:
                return authenticate(session, authorization)
        hit = self.cached(authorization)
        if hit is not None:
            return hit
        now = time.monotonic()
        with database.reading() as session:
            auth = authenticate(session, authorization)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[authorization] = (now + self.ttl, auth)
        return auth


def _authorize(request: Request, scope: str, *, bucket: str = "all", limit: int | None = None) -> Principal:
    database: Database = request.app.state.database
    cache: AuthCache = request.app.state.auth_cache
    auth = cache.resolve(database, request.headers.get("authorization"))
    principal = auth.principal
    now = utcnow()
    if auth.needs_touch(now) and principal.integration_id is not None:
        with database.writing() as session:
            repository.touch_integration(session, principal.integration_id, now)
        cache.touched(request.headers.get("authorization"), now)
    limiter: RateLimiter = request.app.state.rate_limiter
    limit = limit or request.app.state.settings.rate_limit_per_minute
    state = limiter.hit(f"{bucket}:{principal.integration_id}", limit)
    request.state.rate_limit = state
    if not state.allowed:
        raise TooManyRequests(
            f"Rate limit exceeded: {limit} requests per minute for this API key; "
            f"retry in {state.reset_seconds} s",
            headers={"Retry-After": str(state.reset_seconds)},
        )
    if scope not in principal.scopes:
        raise Forbidden(f"This API key lacks the {scope} scope")
    request.state.principal = principal
    return principal


def _resolvable_without_io(request: Request) -> bool:
    """True when a request can be authorised with no database or network call: its key is cached,
    needs no last-active write, and the rate limit is counted in this process."""
    if not isinstance(request.app.state.rate_limiter, MemoryRateLimiter):
        return False
    cache: AuthCache = request.app.state.auth_cache
    auth = cache.cached(request.headers.get("authorization"))
    return auth is not None and not (auth.needs_touch(utcnow()) and auth.principal.integration_id is not None)


async def require_read(request: Request) -> Principal:
    # Async, so that the common case (a cached key) costs no hop to the thread pool; anything that
    # must wait on the database or Redis still runs there, off the event loop.
    if _resolvable_without_io(request):
        return _authorize(request, "read")
    return await run_in_threadpool(_authorize, request, "read")


async def require_write(request: Request) -> Principal:
    if _resolvable_without_io(request):
        return _authorize(request, "write")
    return await run_in_threadpool(_authorize, request, "write")


def actor_for(principal: Principal) -> str:
    return f"api:{principal.integration_id}" if principal.integration_id else f"api:{principal.client_id}"
