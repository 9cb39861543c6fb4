"""The worker's own queries: claiming, fencing, leases and schedule ticks.

Every write a worker makes about a job it holds says `WHERE id = :id AND attempts = :attempt AND
status = 'running'`. A claim increments `attempts`, so once a job's lease expired and another worker
claimed it, the old worker's attempt number matches nothing and its writes change no row.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    exists,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from warpware.worker.models import UNFINISHED, JobStatus, jobs_table, schedules_table
from warpware.worker.queue import affected_rows, enqueue

_jobs = jobs_table
_schedules = schedules_table


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    name: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


def _inline(status: str) -> ColumnElement[str]:
    """A status written into the SQL text: SQLite matches a partial index (WHERE status = 'queued') only
    against a literal, never a bound parameter, and without the index every claim scans the backlog."""
    assert status.isidentifier()
    return literal_column(f"'{status}'")


@functools.lru_cache(maxsize=64)
def _claim_queries(names: tuple[str, ...]) -> tuple[Select[Any], Select[Any]]:
    """The two claim queries for a worker's job names, built once per name set: a worker claims many
    times a second, and building and hashing these statements cost more than running them."""
    earlier = _jobs.alias("earlier")
    held_back = exists().where(
        earlier.c.ordering_key == _jobs.c.ordering_key,
        earlier.c.id < _jobs.c.id,
        earlier.c.status.in_([_inline(status.value) for status in UNFINISHED]),
    )
    claimable = (_jobs.c.name.in_(list(names)), or_(_jobs.c.ordering_key.is_(None), ~held_back))
    now, limit = bindparam("now", type_=_jobs.c.run_at.type), bindparam("limit", type_=Integer)
    # Two queries rather than one with OR: each walks its own partial index in order and stops at
    # `limit`, so a claim costs the same with ten queued jobs or a million.
    lease_expired = (
        select(_jobs.c.id, _jobs.c.attempts, _jobs.c.max_attempts)
        .where(_jobs.c.status == _inline(JobStatus.RUNNING.value), _jobs.c.lease_until < now, *claimable)
        .order_by(_jobs.c.lease_until)
        .limit(limit)
        .with_for_update(skip_locked=True, of=_jobs)
    )
    due = (
        select(_jobs.c.id)
        .where(_jobs.c.status == _inline(JobStatus.QUEUED.value), _jobs.c.run_at <= now, *claimable)
        .order_by(_jobs.c.run_at, _jobs.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=_jobs)
    )
    return lease_expired, due


def claim_jobs(
    session: Session,
    *,
    worker_id: str,
    names: Collection[str],
    limit: int,
    lease_seconds: float,
    now: dt.datetime,
) -> list[ClaimedJob]:
    """Take up to `limit` due jobs for this worker and lease them until now + lease_seconds.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent claimers take disjoint rows without waiting.
    SQLite: the caller's BEGIN IMMEDIATE transaction already excludes every other writer.
    """
    if limit <= 0 or not names:
        return []
    lease_expired_query, due_query = _claim_queries(tuple(sorted(names)))
    lease_expired = session.execute(lease_expired_query, {"now": now, "limit": limit}).all()
    _bury([row.id for row in lease_expired if row.attempts >= row.max_attempts], now=now, session=session)
    ids = [row.id for row in lease_expired if row.attempts < row.max_attempts]
    if len(ids) < limit:
        ids += session.execute(due_query, {"now": now, "limit": limit - len(ids)}).scalars()
    if not ids:
        return []
    rows = session.execute(
        update(_jobs)
        .where(_jobs.c.id.in_(ids))
        .values(
            status=JobStatus.RUNNING.value,
            attempts=_jobs.c.attempts + 1,
            locked_by=worker_id,
            lease_until=now + dt.timedelta(seconds=lease_seconds),
            updated_at=now,
        )
        .returning(_jobs.c.id, _jobs.c.name, _jobs.c.payload, _jobs.c.attempts, _jobs.c.max_attempts)
    ).all()
    claimed = [
        ClaimedJob(id=r.id, name=r.name, payload=r.payload, attempt=r.attempts, max_attempts=r.max_attempts)
        for r in rows
    ]
    # RETURNING order is unspecified; id order keeps the batch in enqueue order.
    return sorted(claimed, key=lambda job: job.id)


def _bury(ids: list[int], *, now: dt.datetime, session: Session) -> None:
    """A job whose worker vanished on its last allowed attempt is dead, not run once more: a job that
    kills its worker every time (out of memory, a segfaulting library) must stop somewhere."""
    if ids:
        session.execute(
            update(_jobs)
            .where(_jobs.c.id.in_(ids))
            .values(
                status=JobStatus.DEAD.value,
                lease_until=None,
                finished_at=now,
                updated_at=now,
                last_error="LeaseExpired: the worker stopped renewing its lease on the last attempt",
            )
        )


def _held(job_id: int, attempt: int) -> tuple[ColumnElement[bool], ...]:
    return (_jobs.c.id == job_id, _jobs.c.attempts == attempt, _jobs.c.status == JobStatus.RUNNING.value)


def finish_job(session: Session, job_id: int, attempt: int, *, now: dt.datetime) -> bool:
    """Mark the job done if `attempt` still holds it; False (and no change) when it does not.

    On PostgreSQL this also locks the row until the session commits, so no one can claim the job
    again in between: the handler's other writes and "done" commit together or not at all.
    """
    result = session.execute(
        update(_jobs)
        .where(*_held(job_id, attempt))
        .values(status=JobStatus.DONE.value, lease_until=None, finished_at=now, updated_at=now)
    )
    return affected_rows(result) == 1


def finish_jobs(
    session: Session, held: Collection[tuple[int, int]], *, now: dt.datetime
) -> list[tuple[int, int]]:
    """finish_job for many (id, attempt) pairs in one statement; returns the pairs that were refused."""
    if not held:
        return []
    done = session.execute(
        update(_jobs)
        .where(
            tuple_(_jobs.c.id, _jobs.c.attempts).in_(list(held)), _jobs.c.status == JobStatus.RUNNING.value
        )
        .values(status=JobStatus.DONE.value, lease_until=None, finished_at=now, updated_at=now)
        .returning(_jobs.c.id, _jobs.c.attempts)
    ).all()
    finished = {(row.id, row.attempts) for row in done}
    return [pair for pair in held if pair not in finished]


def record_failure(
    session: Session, job_id: int, attempt: int, *, error: str, retry_at: dt.datetime | None, now: dt.datetime
) -> bool:
    """Requeue the job for `retry_at`, or bury it when retry_at is None; fenced like finish_job."""
    values: dict[str, Any] = {"last_error": error, "lease_until": None, "updated_at": now}
    if retry_at is None:
        values.update(status=JobStatus.DEAD.value, finished_at=now)
    else:
        values.update(status=JobStatus.QUEUED.value, run_at=retry_at)
    return affected_rows(session.execute(update(_jobs).where(*_held(job_id, attempt)).values(**values))) == 1


def renew_leases(
    session: Session, leases: Collection[tuple[int, int]], *, lease_seconds: float, now: dt.datetime
) -> list[tuple[int, int]]:
    """Extend the leases of jobs still running here; returns the (id, attempt) pairs that were lost."""
    until = now + dt.timedelta(seconds=lease_seconds)
    lost = []
    for job_id, attempt in leases:
        result = session.execute(update(_jobs).where(*_held(job_id, attempt)).values(lease_until=until))
        if affected_rows(result) != 1:
            lost.append((job_id, attempt))
    return lost


def schedule_group(key: str) -> str:
    return f"schedule:{key}"


def fire_due_schedules(
    session: Session, *, names: Collection[str], now: dt.datetime, limit: int = 100
) -> int:
    """Enqueue one job for each due schedule and move it to its next tick; returns jobs enqueued.

    The schedule row is locked (SKIP LOCKED on PostgreSQL, the immediate transaction on SQLite), so
    one worker fires each tick; the per-tick dedupe key would refuse a second job even if one did.
    Missed ticks (every worker was down) collapse into one run, and a tick whose predecessor is
    still queued or running is skipped, so a slow or failing job cannot pile up behind itself.
    """
    if not names:
        return 0
    due = session.execute(
        select(_schedules)
        .where(_schedules.c.next_run_at <= now, _schedules.c.job_name.in_(list(names)))
        .order_by(_schedules.c.next_run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    fired = 0
    for row in due:
        tick: dt.datetime = row.next_run_at
        ticks_passed = math.floor((now - tick).total_seconds() / row.every_seconds) + 1
        session.execute(
            update(_schedules)
            .where(_schedules.c.id == row.id)
            .values(
                next_run_at=tick + dt.timedelta(seconds=row.every_seconds * ticks_passed),
                last_run_at=now,
                updated_at=now,
            )
        )
        group = schedule_group(row.key)
        pending = session.execute(
            select(
                exists().where(
                    _jobs.c.group_key == group, _jobs.c.status.in_([status.value for status in UNFINISHED])
                )
            )
        ).scalar_one()
        if pending:
            continue
        job_id = enqueue(
            session,
            row.job_name,
            row.payload,
            dedupe_key=f"{group}:{tick.isoformat()}",
            ordering_key=group,
            group_key=group,
            max_attempts=row.max_attempts,
        )
        fired += job_id is not None
    return fired
