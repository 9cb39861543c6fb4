"""The Partner API's authentication, rate limit and scope checks, as FastAPI dependencies."""

from __future__ import annotations

from fastapi import Request

from warpware.accounts import repository
from warpware.accounts.domain import Principal
from warpware.accounts.ratelimit import RateLimiter
from warpware.accounts.service import authenticate
from warpware.db import Database
from warpware.errors import Forbidden, TooManyRequests
from warpware.kit.clock import utcnow


def _authorize(request: Request, scope: str, *, bucket: str = "all", limit: int | None = None) -> Principal:
    database: Database = request.app.state.database
    with database.reading() as session:
        auth = authenticate(session, request.headers.get("authorization"))
    principal = auth.principal
    now = utcnow()
    if auth.needs_touch(now) and principal.integration_id is not None:
        with database.writing() as session:
            repository.touch_integration(session, principal.integration_id, now)
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


def require_read(request: Request) -> Principal:
    return _authorize(request, "read")


def require_write(request: Request) -> Principal:
    return _authorize(request, "write")


def actor_for(principal: Principal) -> str:
    return f"api:{principal.integration_id}" if principal.integration_id else f"api:{principal.client_id}"
