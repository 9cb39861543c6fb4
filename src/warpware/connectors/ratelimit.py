"""A per-connection token bucket, so a connector stays under the remote's request budget.

The limiter blocks for a short while when the budget is spent; when the wait would be longer than
`max_wait` it raises RetryableConnectorError(rate_limit) instead, so a worker thread is never parked for
minutes and the worker can reschedule the job for when the budget is back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from warpware.connectors.base import RetryableConnectorError


class RateLimiter:
    """At most `per_minute` requests a minute, with bursts of up to `burst` back to back. Thread-safe."""

    def __init__(
        self,
        per_minute: float,
        *,
        burst: int = 1,
        max_wait: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.per_minute = per_minute
        self.burst = burst
        self.max_wait = max_wait
        self._rate = per_minute / 60.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()

    def acquire(self) -> float:
        """Take one request's worth of budget, waiting if needed; return the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            wait = (1.0 - self._tokens) / self._rate
            if wait > self.max_wait:
                raise RetryableConnectorError(
                    f"Local rate limit of {self.per_minute:g} requests/minute reached; "
                    f"next slot in {wait:.1f} s",
                    category="rate_limit",
                    retry_after=wait,
                )
            # Taking the token now (the balance goes negative) reserves this caller's slot, so callers
            # that arrive while it sleeps queue behind it instead of all waking at the same moment.
            self._tokens -= 1.0
        self._sleep(wait)
        return wait


_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(
    key: str, per_minute: float | None, *, burst: int = 1, max_wait: float = 10.0
) -> RateLimiter | None:
    """The process-wide limiter of one connection (`key`), so every job talking to it shares one budget.

    None when the connection has no limit. A changed limit replaces the connection's limiter.
    """
    if per_minute is None:
        with _registry_lock:
            _registry.pop(key, None)
        return None
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None or (limiter.per_minute, limiter.burst, limiter.max_wait) != (
            per_minute,
            burst,
            max_wait,
        ):
            limiter = RateLimiter(per_minute, burst=burst, max_wait=max_wait)
            _registry[key] = limiter
        return limiter
