"""Worker processes against PostgreSQL: many claimers, a killed worker, a graceful stop, LISTEN/NOTIFY."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from worker_test_handlers import effects, record
from worker_test_support import effect_rows, job_row, spawn_worker, wait_for, wait_for_log

from warpware.db import Database
from warpware.worker import JobContext, LeaseLost, enqueue
from warpware.worker.models import jobs_table

pytestmark = pytest.mark.slow


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_four_worker_processes_run_two_thousand_jobs_each_exactly_once(
    pg_db: Database, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    logs = [tmp_path / f"worker-{n}.log" for n in range(4)]
    for log in logs:
        processes.append(
            spawn_worker(
                pg_db, log, job_names=["test.effect", "test.effect_plain"], concurrency=4, poll_interval=0.5
            )
        )
    wait_for_log(logs, " ready ")

    # Half finish inside their own transaction, half commit their effect first and let the runner
    # finish them: a job run twice would show as a second effect row either way.
    with pg_db.writing() as session:
        for n in range(2000):
            enqueue(session, "test.effect" if n % 2 else "test.effect_plain", {"tag": "many"})
    wait_for(lambda: _count_unfinished(pg_db) == 0, timeout=60.0, interval=0.2)

    with pg_db.reading() as session:
        per_job = session.execute(
            select(effects.c.job_id, func.count(), func.min(effects.c.attempt))
            .where(effects.c.tag == "many")
            .group_by(effects.c.job_id)
        ).all()
        pids = session.execute(select(func.count(func.distinct(effects.c.pid)))).scalar_one()
        statuses = session.execute(
            select(jobs_table.c.status, jobs_table.c.attempts, func.count()).group_by(
                jobs_table.c.status, jobs_table.c.attempts
            )
        ).all()
    assert len(per_job) == 2000
    assert {(count, attempt) for _job, count, attempt in per_job} == {(1, 1)}
    assert [tuple(row) for row in statuses] == [("done", 1, 2000)]
    assert pids == 4  # every process took part: the claims really raced


def test_a_killed_workers_job_is_taken_over_after_its_lease_and_its_stale_attempt_is_refused(
    pg_db: Database, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    log = tmp_path / "doomed.log"
    processes.append(spawn_worker(pg_db, log, job_names=["test.slow"], lease_seconds=1.5))
    with pg_db.writing() as session:
        job_id = enqueue(session, "test.slow", {"tag": "kill", "sleep": 120})
    assert job_id is not None
    wait_for(lambda: effect_rows(pg_db, "kill") == [(job_id, 1, "started")], timeout=15.0)

    processes[0].send_signal(signal.SIGKILL)
    processes[0].wait(timeout=10)
    killed_at = time.monotonic()
    rescuer_log = tmp_path / "rescuer.log"
    processes.append(spawn_worker(pg_db, rescuer_log, job_names=["test.slow"], lease_seconds=1.5))
    wait_for(lambda: job_row(pg_db, job_id).status == "done", timeout=20.0, interval=0.1)
    took_over_after = time.monotonic() - killed_at

    assert effect_rows(pg_db, "kill") == [
        (job_id, 1, "started"),
        (job_id, 2, "started"),
        (job_id, 2, "finished"),
    ]
    row = job_row(pg_db, job_id)
    assert (row.status, row.attempts) == ("done", 2)
    assert took_over_after > 1.0  # not before the dead worker's lease ran out

    # The killed attempt, had it woken up, could not have recorded anything.
    stale = JobContext(
        database=pg_db, job_id=job_id, name="test.slow", attempt=1, max_attempts=20, worker_id="dead"
    )
    with pytest.raises(LeaseLost), stale.finishing() as session:
        record(session, {"tag": "kill"}, stale, "finished")
    assert effect_rows(pg_db, "kill")[-1] == (job_id, 2, "finished")


def test_sigterm_lets_the_running_job_finish_before_the_worker_exits(
    pg_db: Database, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    log = tmp_path / "graceful.log"
    processes.append(spawn_worker(pg_db, log, job_names=["test.slow"]))
    with pg_db.writing() as session:
        job_id = enqueue(session, "test.slow", {"tag": "term", "sleep": 1.0})
    assert job_id is not None
    wait_for(lambda: effect_rows(pg_db, "term") == [(job_id, 1, "started")], timeout=15.0)

    processes[0].send_signal(signal.SIGTERM)
    exit_code = processes[0].wait(timeout=15)

    assert exit_code == 0
    assert effect_rows(pg_db, "term") == [(job_id, 1, "started"), (job_id, 1, "finished")]
    assert job_row(pg_db, job_id).status == "done"


def test_notify_wakes_a_waiting_worker_long_before_its_next_poll(
    pg_db: Database, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    log = tmp_path / "listener.log"
    processes.append(spawn_worker(pg_db, log, job_names=["test.effect"], poll_interval=30.0))
    wait_for_log([log], " ready ")
    time.sleep(0.3)  # the worker has made its first (empty) claim and sleeps for its 30 s poll

    with pg_db.writing() as session:
        job_id = enqueue(session, "test.effect", {"tag": "notify"})
    assert job_id is not None
    waited = wait_for(lambda: job_row(pg_db, job_id).status == "done", timeout=10.0, interval=0.01)

    assert waited < 2.0
    assert effect_rows(pg_db, "notify") == [(job_id, 1, "ran")]


def _count_unfinished(database: Database) -> int:
    with database.reading() as session:
        return session.execute(
            select(func.count()).where(jobs_table.c.status.in_(["queued", "running"]))
        ).scalar_one()
