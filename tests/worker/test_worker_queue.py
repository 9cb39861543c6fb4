"""Enqueueing, deduplication, cancelling, requeueing and stats: the transactional side of the queue."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update
from worker_test_support import T0, FakeClock, job_count, job_row

from warpware.db import Database
from warpware.worker import cancel_jobs, enqueue, queue_stats, retry_dead, schedule, unschedule
from warpware.worker.models import jobs_table, schedules_table


class CauseFailed(Exception):
    pass


def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(db: Database) -> None:
    with pytest.raises(CauseFailed), db.writing() as session:
        enqueue(session, "test.effect", {"order_id": "o-1"})
        raise CauseFailed

    assert job_count(db) == 0


def test_a_job_enqueued_in_a_committed_transaction_exists_once(db: Database, clock: FakeClock) -> None:
    with db.writing() as session:
        job_id = enqueue(session, "test.effect", {"order_id": "o-1"}, max_attempts=5)

    assert job_id is not None
    assert job_count(db) == 1
    row = job_row(db, job_id)
    assert (row.name, row.payload, row.status, row.attempts, row.max_attempts) == (
        "test.effect",
        {"order_id": "o-1"},
        "queued",
        0,
        5,
    )
    assert (row.run_at, row.created_at, row.lease_until, row.finished_at) == (T0, T0, None, None)


def test_a_second_job_with_the_same_dedupe_key_is_not_enqueued_even_after_the_first_finished(
    db: Database,
) -> None:
    with db.writing() as session:
        first = enqueue(session, "test.effect", {"n": 1}, dedupe_key="webhook:7:event:42")
        again = enqueue(session, "test.effect", {"n": 2}, dedupe_key="webhook:7:event:42")
    with db.writing() as session:
        session.execute(update(jobs_table).values(status="done"))
        after_done = enqueue(session, "test.effect", {"n": 3}, dedupe_key="webhook:7:event:42")
        other = enqueue(session, "test.effect", {"n": 4}, dedupe_key="webhook:7:event:43")

    assert first is not None
    assert (again, after_done) == (None, None)
    assert other is not None and other != first
    assert job_count(db) == 2
    assert job_row(db, first).payload == {"n": 1}


def test_cancelling_a_group_cancels_its_queued_jobs_only(db: Database, clock: FakeClock) -> None:
    with db.writing() as session:
        ids = [
            enqueue(session, "test.effect", {"n": n}, group_key="webhook_endpoint:7") or 0 for n in range(3)
        ]
        other = enqueue(session, "test.effect", {"n": 9}, group_key="webhook_endpoint:8")
        session.execute(update(jobs_table).where(jobs_table.c.id == ids[0]).values(status="running"))
    clock.advance(5)

    with db.writing() as session:
        cancelled = cancel_jobs(session, group_key="webhook_endpoint:7")

    assert cancelled == 2
    assert [job_row(db, job_id).status for job_id in ids] == ["running", "cancelled", "cancelled"]
    assert job_row(db, ids[1]).finished_at == T0 + dt.timedelta(seconds=5)
    assert other is not None and job_row(db, other).status == "queued"


def test_cancel_needs_a_filter(db: Database) -> None:
    with pytest.raises(ValueError, match="at least one filter"), db.writing() as session:
        cancel_jobs(session)


def test_only_a_dead_job_can_be_retried(db: Database, clock: FakeClock) -> None:
    with db.writing() as session:
        dead = enqueue(session, "test.effect", {}, max_attempts=2)
        queued = enqueue(session, "test.effect", {})
        session.execute(
            update(jobs_table)
            .where(jobs_table.c.id == dead)
            .values(status="dead", attempts=2, finished_at=T0)
        )
    clock.advance(60)
    assert dead is not None and queued is not None

    with db.writing() as session:
        assert retry_dead(session, dead) is True
        assert retry_dead(session, queued) is False

    row = job_row(db, dead)
    assert (row.status, row.attempts, row.max_attempts, row.run_at, row.finished_at) == (
        "queued",
        2,
        5,
        T0 + dt.timedelta(seconds=60),
        None,
    )


def test_queue_stats_count_by_name_and_status_and_age_the_oldest_due_job(
    db: Database, clock: FakeClock
) -> None:
    with db.writing() as session:
        enqueue(session, "test.effect", {}, run_at=T0 - dt.timedelta(seconds=30))
        enqueue(session, "test.effect", {}, run_at=T0 - dt.timedelta(seconds=10))
        enqueue(session, "test.effect", {}, run_at=T0 + dt.timedelta(seconds=10))
        dead = enqueue(session, "test.raise", {})
        running = enqueue(session, "test.slow", {})
        session.execute(update(jobs_table).where(jobs_table.c.id == dead).values(status="dead"))
        session.execute(
            update(jobs_table)
            .where(jobs_table.c.id == running)
            .values(status="running", lease_until=T0 - dt.timedelta(seconds=1))
        )

    with db.reading() as session:
        stats = queue_stats(session)

    assert stats.counts == {
        "test.effect": {"queued": 3},
        "test.raise": {"dead": 1},
        "test.slow": {"running": 1},
    }
    assert (stats.due, stats.oldest_due_age_seconds, stats.expired_leases) == (2, 30.0, 1)


def test_scheduling_again_updates_the_schedule_but_keeps_its_next_tick(
    db: Database, clock: FakeClock
) -> None:
    with db.writing() as session:
        schedule(session, "test.effect", 60, {"tag": "a"}, key="poll:1")
    clock.advance(5)
    with db.writing() as session:
        schedule(session, "test.effect", 120, {"tag": "b"}, key="poll:1")

    with db.reading() as session:
        rows = session.execute(select(schedules_table)).all()
    assert [(r.key, r.job_name, r.payload, r.every_seconds, r.next_run_at, r.updated_at) for r in rows] == [
        ("poll:1", "test.effect", {"tag": "b"}, 120, T0, T0 + dt.timedelta(seconds=5))
    ]

    with db.writing() as session:
        assert unschedule(session, "poll:1") is True
        assert unschedule(session, "poll:1") is False
