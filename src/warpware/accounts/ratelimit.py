"""Per-key request limits in fixed 60 s windows.

The count must be right when several server processes serve one key, so process memory is only used
when the server is a single process; otherwise the count lives in Redis or in the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text

from warpware.db import Database
from warpware.kit.clock import utcnow

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset_seconds: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimiter(Protocol):
    def hit(self, bucket: str, limit: int) -> RateLimitState:
        """Count one request against `bucket` in the current window and say whether it is allowed."""
        ...


def _window(now: float) -> tuple[int, int]:
    start = int(now) // WINDOW_SECONDS * WINDOW_SECONDS
    return start, max(1, start + WINDOW_SECONDS - int(now))


def _state(count: int, limit: int, reset: int) -> RateLimitState:
    return RateLimitState(
        limit=limit, remaining=max(0, limit - count), reset_seconds=reset, allowed=count <= limit
    )


class MemoryRateLimiter:
    """For the single-process server: exact and free of I/O."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, limit: int) -> RateLimitState:
        start, reset = _window(utcnow().timestamp())
        with self._lock:
            if len(self._counts) > 100_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] == start}
            count = self._counts.get((bucket, start), 0) + 1
            self._counts[(bucket, start)] = count
        return _state(count, limit, reset)


class RedisRateLimiter:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    def hit(self, bucket: str, limit: int) -> RateLimitState:
        start, reset = _window(utcnow().timestamp())
        key = f"warpware:ratelimit:{bucket}:{start}"
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS * 2)
        count = int(pipe.execute()[0])
        return _state(count, limit, reset)


class DatabaseRateLimiter:
    """One atomic upsert per request (INSERT … ON CONFLICT DO UPDATE … RETURNING, on both databases)."""

    _UPSERT = text(
        "INSERT INTO rate_limit_windows (bucket, window_start, count) VALUES (:bucket, :start, 1) "
        "ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_windows.count + 1 "
        "RETURNING count"
    )

    def __init__(self, database: Database) -> None:
        self._database = database
        self._last_cleanup = 0

    def hit(self, bucket: str, limit: int) -> RateLimitState:
        start, reset = _window(utcnow().timestamp())
        with self._database.writing() as session:
            count = int(session.execute(self._UPSERT, {"bucket": bucket, "start": start}).scalar_one())
            if start != self._last_cleanup:
                self._last_cleanup = start
                session.execute(
                    text("DELETE FROM rate_limit_windows WHERE window_start < :old"),
                    {"old": start - WINDOW_SECONDS},
                )
        return _state(count, limit, reset)


def make_rate_limiter(
    backend: str, *, database: Database, redis_url: str | None, server_processes: int
) -> RateLimiter:
    if backend == "auto":
        backend = "redis" if redis_url else ("memory" if server_processes <= 1 else "database")
    if backend == "redis":
        if not redis_url:
            raise ValueError("WARPWARE_RATE_LIMIT_BACKEND=redis needs WARPWARE_REDIS_URL")
        return RedisRateLimiter(redis_url)
    if backend == "database":
        return DatabaseRateLimiter(database)
    if backend == "memory":
        return MemoryRateLimiter()
    raise ValueError(f"unknown rate limit backend {backend!r} (auto, memory, redis, database)")
