"""The one place the service reads the time, so tests can move it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

_now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731


def utcnow() -> dt.datetime:
    return _now()


def set_clock(now: Callable[[], dt.datetime] | None) -> None:
    """Replace the clock (tests); None restores the wall clock."""
    global _now
    _now = now if now is not None else (lambda: dt.datetime.now(dt.UTC))
