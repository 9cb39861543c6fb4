"""Helpers for the worker tests: a movable clock, reading what handlers did, worker processes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from worker_test_handlers import effects

from warpware.db import Database
from warpware.worker.models import jobs_table

HERE = Path(__file__).resolve().parent
T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


class FixedRandom:
    """An rng that always says the same thing, so jittered delays are exact."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def effect_rows(database: Database, tag: str) -> list[tuple[int, int, str]]:
    """(job_id, attempt, event) for everything handlers recorded under `tag`, in the order written."""
    with database.reading() as session:
        rows = session.execute(
            select(effects.c.job_id, effects.c.attempt, effects.c.event)
            .where(effects.c.tag == tag)
            .order_by(effects.c.id)
        ).all()
    return [(r.job_id, r.attempt, r.event) for r in rows]


def job_row(database: Database, job_id: int) -> Any:
    with database.reading() as session:
        return session.execute(select(jobs_table).where(jobs_table.c.id == job_id)).one()


def job_count(database: Database) -> int:
    with database.reading() as session:
        return session.execute(select(func.count()).select_from(jobs_table)).scalar_one()


def wait_for(condition: Callable[[], bool], *, timeout: float, interval: float = 0.02) -> float:
    """Seconds until `condition()` held; fails the test after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
    return time.monotonic() - start


def spawn_worker(
    database: Database,
    log_path: Path,
    *,
    job_names: Collection[str],
    concurrency: int = 4,
    lease_seconds: float = 30.0,
    poll_interval: float = 0.2,
) -> subprocess.Popen[bytes]:
    """A `warpware worker` process (run_worker_process) that can import this folder's handlers."""
    code = (
        "from warpware.worker import run_worker_process\n"
        f"run_worker_process({database.url!r}, {concurrency!r}, ['worker_test_handlers'],"
        f" lease_seconds={lease_seconds!r}, poll_interval={poll_interval!r},"
        f" job_names={sorted(job_names)!r})\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }
    with log_path.open("wb") as log:
        return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for_log(log_paths: Collection[Path], text: str, *, timeout: float = 15.0) -> None:
    """Wait until every worker log says `text` (e.g. "ready")."""
    wait_for(lambda: all(text in path.read_text(errors="replace") for path in log_paths), timeout=timeout)
