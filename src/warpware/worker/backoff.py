"""How long a failed job waits before its next attempt: a pure function, so tests can pin it exactly."""

from __future__ import annotations

from typing import Protocol

DEFAULT_BASE_SECONDS = 2.0
DEFAULT_CAP_SECONDS = 3600.0
DEFAULT_JITTER = 0.2


class RandomSource(Protocol):
    """Anything with random() in [0, 1): `random.Random`, or a fixed sequence in tests."""

    def random(self) -> float: ...


def backoff_delay(
    attempt: int,
    *,
    base: float = DEFAULT_BASE_SECONDS,
    cap: float = DEFAULT_CAP_SECONDS,
    rng: RandomSource,
    jitter: float = DEFAULT_JITTER,
) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): base * 2^(attempt-1), capped, ± jitter.

    Jitter spreads the retries of jobs that failed together (a destination outage) so they do not
    come back as one burst.
    """
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    # min() before the power would be nicer, but 2.0 ** 2000 overflows; cap the exponent instead.
    raw = min(cap, base * 2.0 ** min(attempt - 1, 64))
    return raw * (1.0 + jitter * (2.0 * rng.random() - 1.0))
