"""The token-bucket limiter on its own and in front of the Extensiv connector."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from warpware.connectors.base import OutboundOrder, RetryableConnectorError
from warpware.connectors.extensiv import ExtensivDestination
from warpware.connectors.ratelimit import RateLimiter, limiter_for

if TYPE_CHECKING:
    from conftest import FakeClock


def test_a_burst_passes_then_callers_wait_for_the_next_slot(fake_clock: FakeClock) -> None:
    limiter = RateLimiter(60, burst=2, clock=fake_clock, sleep=fake_clock.sleep)

    waits = [limiter.acquire() for _ in range(4)]

    assert waits == [0.0, 0.0, 1.0, 2.0]
    assert fake_clock.sleeps == [1.0, 2.0]


def test_the_budget_refills_with_time_up_to_the_burst(fake_clock: FakeClock) -> None:
    limiter = RateLimiter(40, burst=2, clock=fake_clock, sleep=fake_clock.sleep)
    limiter.acquire()
    limiter.acquire()

    fake_clock.advance(600)  # long enough to refill far past the burst
    waits = [limiter.acquire() for _ in range(3)]

    assert waits == [0.0, 0.0, 1.5]


def test_a_wait_longer_than_max_wait_raises_rate_limit_instead(fake_clock: FakeClock) -> None:
    limiter = RateLimiter(6, max_wait=5.0, clock=fake_clock, sleep=fake_clock.sleep)
    limiter.acquire()

    with pytest.raises(RetryableConnectorError) as caught:
        limiter.acquire()

    assert (caught.value.category, caught.value.retry_after) == ("rate_limit", 10.0)
    assert caught.value.message == "Local rate limit of 6 requests/minute reached; next slot in 10.0 s"
    assert fake_clock.sleeps == []
    fake_clock.advance(10)
    assert limiter.acquire() == 0.0  # the refused call did not spend budget


def test_concurrent_callers_each_get_their_own_slot(fake_clock: FakeClock) -> None:
    limiter = RateLimiter(600, clock=fake_clock, sleep=fake_clock.sleep)
    waits: list[float] = []
    lock = threading.Lock()

    def call() -> None:
        wait = limiter.acquire()
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(waits) == [0.0, 0.1, 0.2, 0.3, 0.4]


def test_limiter_for_shares_one_limiter_per_connection() -> None:
    first = limiter_for("test-connection-a", 40)
    again = limiter_for("test-connection-a", 40)
    other = limiter_for("test-connection-b", 40)
    changed = limiter_for("test-connection-a", 20)

    assert first is again
    assert other is not first
    assert changed is not None and changed is not first and changed.per_minute == 20
    assert limiter_for("test-connection-a", None) is None


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)
    with pytest.raises(ValueError):
        RateLimiter(10, burst=0)


def test_the_connector_asks_the_limiter_before_every_call(
    make_destination: Callable[..., ExtensivDestination],
    sandbox: httpx.Client,
    make_order: Callable[..., OutboundOrder],
    fake_clock: FakeClock,
) -> None:
    limiter = RateLimiter(60, clock=fake_clock, sleep=fake_clock.sleep)
    destination = make_destination(rate_limiter=limiter)

    destination.submit(make_order())  # token, lookup, create

    assert fake_clock.sleeps == [1.0, 2.0]
    assert sandbox.get("/_sandbox/stats").json()["apiRequests"] == 3
