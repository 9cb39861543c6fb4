from __future__ import annotations

import pytest
from worker_test_support import FixedRandom

from warpware.worker import backoff_delay


def test_delay_doubles_from_the_base_until_the_cap_when_jitter_is_centred() -> None:
    rng = FixedRandom(0.5)

    delays = [backoff_delay(attempt, base=2.0, cap=60.0, rng=rng) for attempt in range(1, 9)]

    assert delays == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]


def test_jitter_moves_the_delay_up_to_twenty_percent_either_way() -> None:
    assert backoff_delay(3, base=2.0, cap=60.0, rng=FixedRandom(0.0)) == 6.4
    assert backoff_delay(3, base=2.0, cap=60.0, rng=FixedRandom(0.75)) == 8.8
    assert backoff_delay(3, base=2.0, cap=60.0, rng=FixedRandom(1.0)) == 9.6
    assert backoff_delay(20, base=2.0, cap=60.0, rng=FixedRandom(0.0)) == 48.0


def test_a_very_late_attempt_is_capped_rather_than_overflowing() -> None:
    assert backoff_delay(100_000, base=2.0, cap=3600.0, rng=FixedRandom(0.5)) == 3600.0


def test_attempts_are_numbered_from_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        backoff_delay(0, rng=FixedRandom(0.5))
