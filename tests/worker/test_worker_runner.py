"""The worker in-process, on both databases: running, finishing atomically, fencing, retries, ordering,
schedules. The clock is injected, so every retry time is exact."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

import worker_test_handlers
from sqlalchemy import select
from worker_test_handlers import record
from worker_test_support import T0, FakeClock, FixedRandom, effect_rows, job_row, wait_for

from warpware.db import Database
from warpware.worker import (
    JobContext,
    LeaseLost,
    Worker,
    enqueue,
    retry_dead,
    schedule,
    start_embedded_worker,
)
from warpware.worker.models import jobs_table
from warpware.worker.repository import claim_jobs, record_failure, renew_leases

HANDLERS = ["worker_test_handlers"]


def make_worker(db: Database, names: Sequence[str], *, concurrency: int = 8) -> Worker:
    # rng 0.75 puts the jitter at +10%: retry delays are 2.2 s, 4.4 s, ...
    return Worker(
        db, concurrency=concurrency, handler_modules=HANDLERS, job_names=names, rng=FixedRandom(0.75)
    )


def enqueue_one(db: Database, name: str, payload: dict[str, object], **options: object) -> int:
    with db.writing() as session:
        job_id = enqueue(session, name, payload, **options)  # type: ignore[arg-type]
    assert job_id is not None
    return job_id


def test_run_until_idle_runs_every_due_job_once(db: Database) -> None:
    ids = [enqueue_one(db, "test.effect", {"tag": "idle"}) for _ in range(5)]
    plain = enqueue_one(db, "test.effect_plain", {"tag": "idle"})
    later = enqueue_one(
        db, "test.effect", {"tag": "idle"}, run_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    )

    ran = make_worker(db, ["test.effect", "test.effect_plain"], concurrency=4).run_until_idle()

    assert ran == 6
    assert sorted(effect_rows(db, "idle")) == [(job_id, 1, "ran") for job_id in [*ids, plain]]
    assert [job_row(db, job_id).status for job_id in [*ids, plain, later]] == ["done"] * 6 + ["queued"]


def test_a_failure_inside_the_finishing_transaction_rolls_back_the_effect_with_it(
    db: Database, clock: FakeClock
) -> None:
    job_id = enqueue_one(db, "test.effect", {"tag": "atomic", "fail_attempts": [1]})
    worker = make_worker(db, ["test.effect"])

    worker.run_until_idle()

    row = job_row(db, job_id)
    assert (row.status, row.attempts, row.run_at) == ("queued", 1, T0 + dt.timedelta(seconds=2.2))
    assert row.last_error.startswith("ValueError: boom on attempt 1\n")
    assert effect_rows(db, "atomic") == []

    clock.advance(2.2)
    worker.run_until_idle()

    row = job_row(db, job_id)
    assert (row.status, row.attempts, row.finished_at) == ("done", 2, T0 + dt.timedelta(seconds=2.2))
    assert effect_rows(db, "atomic") == [(job_id, 2, "ran")]


def test_an_attempt_whose_lease_was_taken_over_cannot_finish_fail_or_renew(
    db: Database, clock: FakeClock
) -> None:
    job_id = enqueue_one(db, "test.effect", {"tag": "fence"})
    with db.writing() as session:
        [first] = claim_jobs(
            session, worker_id="a", names=["test.effect"], limit=10, lease_seconds=30, now=T0
        )
    clock.advance(31)  # worker "a" stopped renewing: its lease ran out
    with db.writing() as session:
        [second] = claim_jobs(
            session, worker_id="b", names=["test.effect"], limit=10, lease_seconds=30, now=clock.now
        )
    stale = JobContext(
        database=db, job_id=job_id, name="test.effect", attempt=first.attempt, max_attempts=20, worker_id="a"
    )
    current = JobContext(
        database=db, job_id=job_id, name="test.effect", attempt=second.attempt, max_attempts=20, worker_id="b"
    )

    refused = False
    try:
        with db.writing() as session:
            record(session, {"tag": "fence"}, stale, "ran")
            stale.finish(session)
    except LeaseLost:
        refused = True
    with db.writing() as session:
        failure_recorded = record_failure(
            session, job_id, first.attempt, error="stale", retry_at=None, now=clock.now
        )
        lost = renew_leases(session, [(job_id, first.attempt)], lease_seconds=30, now=clock.now)
    with current.finishing() as session:
        record(session, {"tag": "fence"}, current, "ran")

    assert (first.attempt, second.attempt) == (1, 2)
    assert (refused, failure_recorded, lost) == (True, False, [(job_id, 1)])
    assert effect_rows(db, "fence") == [(job_id, 2, "ran")]
    row = job_row(db, job_id)
    assert (row.status, row.attempts, row.locked_by, row.last_error) == ("done", 2, "b", None)


def test_failures_back_off_exponentially_then_die_and_retry_dead_requeues(
    db: Database, clock: FakeClock
) -> None:
    job_id = enqueue_one(
        db, "test.raise", {"tag": "retry", "error": "value", "fail_until": 3}, max_attempts=3
    )
    worker = make_worker(db, ["test.raise"])
    seen = []

    for _ in range(3):
        assert worker.run_until_idle() == 1
        assert worker.run_until_idle() == 0  # not due again until its backoff passed
        row = job_row(db, job_id)
        seen.append((row.status, row.attempts, row.run_at - T0, row.last_error.splitlines()[0]))
        clock.now = row.run_at

    assert seen == [
        ("queued", 1, dt.timedelta(seconds=2.2), "ValueError: boom"),
        ("queued", 2, dt.timedelta(seconds=2.2 + 4.4), "ValueError: boom"),
        ("dead", 3, dt.timedelta(seconds=2.2 + 4.4), "ValueError: boom"),
    ]
    assert job_row(db, job_id).finished_at == T0 + dt.timedelta(seconds=6.6)

    clock.advance(3600)
    with db.writing() as session:
        assert retry_dead(session, job_id) is True
    assert worker.run_until_idle() == 1

    row = job_row(db, job_id)
    assert (row.status, row.attempts, row.max_attempts) == ("done", 4, 6)
    assert effect_rows(db, "retry") == [(job_id, 4, "ran")]


def test_retry_later_and_retry_after_set_the_delay_and_permanent_errors_die_at_once(
    db: Database, clock: FakeClock
) -> None:
    later = enqueue_one(db, "test.raise", {"error": "retry_later", "delay": 90})
    later_default = enqueue_one(db, "test.raise", {"error": "retry_later"})
    after = enqueue_one(db, "test.raise", {"error": "retryable", "retry_after": 30})
    after_default = enqueue_one(db, "test.raise", {"error": "retryable"})
    permanent = enqueue_one(db, "test.raise", {"error": "permanent"})
    failed = enqueue_one(db, "test.raise", {"error": "job_failed"})

    make_worker(db, ["test.raise"]).run_until_idle()

    outcome = {
        job_id: job_row(db, job_id)
        for job_id in (later, later_default, after, after_default, permanent, failed)
    }
    assert [(r.status, r.attempts, r.run_at - T0, r.last_error) for r in outcome.values()] == [
        ("queued", 1, dt.timedelta(seconds=90), "RetryLater: waiting for stock"),
        ("queued", 1, dt.timedelta(seconds=2.2), "RetryLater: waiting for stock"),
        ("queued", 1, dt.timedelta(seconds=30), "RetryableConnectorError: 429 from warehouse"),
        ("queued", 1, dt.timedelta(seconds=2.2), "RetryableConnectorError: 429 from warehouse"),
        ("dead", 1, dt.timedelta(0), "PermanentConnectorError: address rejected"),
        ("dead", 1, dt.timedelta(0), "JobFailed: order was deleted"),
    ]


def test_jobs_sharing_an_ordering_key_run_one_at_a_time_in_id_order(db: Database) -> None:
    keys = [f"order:{n}" for n in range(5)]
    with db.writing() as session:
        for seq in range(12):
            for key in keys:
                enqueue(session, "test.ordered", {"key": key, "seq": seq}, ordering_key=key)
    worker_test_handlers.ordered_events.clear()

    ran = make_worker(db, ["test.ordered"], concurrency=8).run_until_idle()

    events = list(worker_test_handlers.ordered_events)
    assert ran == 60
    for key in keys:
        assert [(kind, seq) for kind, k, seq in events if k == key] == [
            (kind, seq) for seq in range(12) for kind in ("start", "end")
        ]
    # Different keys did run side by side, so the order above was not an accident of a single thread.
    running, most = 0, 0
    for kind, _key, _seq in events:
        running += 1 if kind == "start" else -1
        most = max(most, running)
    assert most >= 2


def test_a_schedule_fires_once_per_tick_with_two_workers_racing(db: Database, clock: FakeClock) -> None:
    with db.writing() as session:
        schedule(session, "test.effect", 60, {"tag": "tick"}, key="tick-test")
    workers = [make_worker(db, ["test.effect"], concurrency=2) for _ in range(2)]

    def tick() -> None:
        threads = [threading.Thread(target=worker.run_until_idle) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    for _ in range(8):
        tick()
        clock.advance(60)
    clock.advance(300)  # every worker was down for five ticks: they collapse into one run
    tick()

    with db.reading() as session:
        jobs = session.execute(
            select(jobs_table.c.id, jobs_table.c.dedupe_key, jobs_table.c.status).order_by(jobs_table.c.id)
        ).all()
    ticks = [T0 + dt.timedelta(seconds=60 * n) for n in range(8)] + [T0 + dt.timedelta(seconds=480)]
    assert [(job.dedupe_key, job.status) for job in jobs] == [
        (f"schedule:tick-test:{t.isoformat()}", "done") for t in ticks
    ]
    assert effect_rows(db, "tick") == [(job.id, 1, "ran") for job in jobs]


def test_the_embedded_worker_runs_jobs_until_stopped(db: Database) -> None:
    embedded = start_embedded_worker(db, concurrency=2, handler_modules=HANDLERS)
    try:
        job_id = enqueue_one(db, "test.effect_plain", {"tag": "embedded"})
        wait_for(lambda: job_row(db, job_id).status == "done", timeout=5.0)
    finally:
        embedded.stop()

    assert effect_rows(db, "embedded") == [(job_id, 1, "ran")]
    assert embedded.worker.processed == 1


def test_a_long_job_keeps_its_lease_by_heartbeat_so_no_other_worker_takes_it(db: Database) -> None:
    job_id = enqueue_one(db, "test.slow", {"tag": "heartbeat", "sleep": 1.5})
    holder = Worker(db, handler_modules=HANDLERS, job_names=["test.slow"], lease_seconds=0.6)
    rival = Worker(db, handler_modules=HANDLERS, job_names=["test.slow"], lease_seconds=0.6)
    running = threading.Thread(target=holder.run_until_idle)
    running.start()
    wait_for(lambda: effect_rows(db, "heartbeat") == [(job_id, 1, "started")], timeout=5.0)

    rival_runs = 0
    while running.is_alive():  # well past the 0.6 s lease: only renewals keep the rival out
        rival_runs += rival.run_until_idle()
    running.join()

    assert rival_runs == 0
    assert effect_rows(db, "heartbeat") == [(job_id, 1, "started"), (job_id, 1, "finished")]
    assert (job_row(db, job_id).status, job_row(db, job_id).attempts) == ("done", 1)
