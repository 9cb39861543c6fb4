"""A client-side request limiter for ShipStation's "N requests per minute per account".

A local stand-in until the shared `connectors/ratelimit.py` lands (another helper is writing it). This
is a sliding window rather than a token bucket on purpose: a bucket of N that refills N per minute can
let 2N requests into one of the server's fixed minute windows, while "at most N starts in any 60 s"
can never exceed the server's count. Per process only: several worker processes on one account should
share the limit through the common limiter once it exists.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable


class LimiterBusy(Exception):
    """The next free slot is further away than the caller is willing to wait."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"next request slot in {retry_after:.1f}s")
        self.retry_after = retry_after


class SlidingWindowLimiter:
    """At most `limit` request starts in any `window` seconds; thread-safe.

    Callers reserve a start time under the lock and sleep outside it, so waiting threads never hold
    each other up beyond their own slot.
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque(maxlen=limit)
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def acquire(self, max_wait: float) -> float:
        """Wait for a slot and return how long that took; raise LimiterBusy if it would exceed max_wait."""
        with self._lock:
            now = self._clock()
            start = max(now, self._blocked_until)
            if len(self._starts) == self.limit:
                start = max(start, self._starts[0] + self.window)
            if self._starts:
                start = max(start, self._starts[-1])
            wait = start - now
            if wait > max_wait:
                raise LimiterBusy(round(wait, 3))
            self._starts.append(start)
        if wait > 0:
            self._sleep(wait)
        return wait

    def block_for(self, seconds: float) -> None:
        """The server says the window is spent (remaining 0, or a 429): hold every caller back."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + max(seconds, 0.0))


_registry: dict[tuple[str, int], SlidingWindowLimiter] = {}
_registry_lock = threading.Lock()


def account_limiter(account_key: str, requests_per_minute: int) -> SlidingWindowLimiter:
    """The one limiter for an account in this process, however many connections use it."""
    digest = hashlib.sha256(account_key.encode()).hexdigest()
    with _registry_lock:
        limiter = _registry.get((digest, requests_per_minute))
        if limiter is None:
            limiter = _registry[(digest, requests_per_minute)] = SlidingWindowLimiter(requests_per_minute)
        return limiter
