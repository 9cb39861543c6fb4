"""The transactional side of the queue: what services call with their own session (never committing).

A job is a row written in the caller's transaction, so it exists if and only if its cause committed.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from weakref import WeakSet

from sqlalchemy import CursorResult, Result, delete, event, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from warpware.kit.clock import utcnow
from warpware.worker.models import JobStatus, jobs_table, schedules_table

DEFAULT_MAX_ATTEMPTS = 20
NOTIFY_CHANNEL = "warpware_jobs"

_jobs = jobs_table
_schedules = schedules_table


def affected_rows(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed (Session.execute is typed as returning a plain Result)."""
    return cast(CursorResult[Any], result).rowcount


# Built once: every order enqueues several jobs, and rebuilding the statement cost more than running it.
_INSERT_UNLESS_DEDUPED_PG = postgresql.insert(_jobs).on_conflict_do_nothing().returning(_jobs.c.id)
_INSERT_UNLESS_DEDUPED_SQLITE = sqlite.insert(_jobs).on_conflict_do_nothing().returning(_jobs.c.id)


def enqueue(
    session: Session,
    name: str,
    payload: Mapping[str, Any],
    *,
    run_at: dt.datetime | None = None,
    dedupe_key: str | None = None,
    ordering_key: str | None = None,
    group_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> int | None:
    """Add a job in the caller's transaction; returns its id, or None when `dedupe_key` already exists.

    `dedupe_key` is unique over every job still in the table, finished or not: it makes the enqueue
    idempotent ("send event 42 to endpoint 7" happens once, even if the enqueue runs again). Callers
    who want "at most one pending" put a generation (an updated_at, a tick) into the key.
    `ordering_key`: jobs sharing it run one at a time in id order; a job waits while any earlier job
    of its key is queued or running (a dead or cancelled one no longer holds the line).
    `group_key` only labels the job for `cancel_jobs`.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    now = utcnow()
    when = run_at if run_at is not None else now
    values = {
        "name": name,
        "payload": dict(payload),
        "status": JobStatus.QUEUED.value,
        "run_at": when,
        "attempts": 0,
        "max_attempts": max_attempts,
        "dedupe_key": dedupe_key,
        "ordering_key": ordering_key,
        "group_key": group_key,
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    stmt = _INSERT_UNLESS_DEDUPED_PG if dialect == "postgresql" else _INSERT_UNLESS_DEDUPED_SQLITE
    job_id = session.execute(stmt, values).scalar_one_or_none()
    if job_id is not None and when <= now:
        _announce(session, dialect)
    return job_id


def enqueue_many(
    session: Session,
    name: str,
    jobs: list[tuple[Mapping[str, Any], str | None]],
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> None:
    """Enqueue several due-now jobs of one name in one executemany (no dedupe keys): bulk ingest's path.

    Each item is (payload, ordering_key).
    """
    if not jobs:
        return
    now = utcnow()
    session.execute(
        _jobs.insert(),
        [
            {
                "name": name,
                "payload": dict(payload),
                "status": JobStatus.QUEUED.value,
                "run_at": now,
                "attempts": 0,
                "max_attempts": max_attempts,
                "dedupe_key": None,
                "ordering_key": ordering_key,
                "group_key": None,
                "created_at": now,
                "updated_at": now,
            }
            for payload, ordering_key in jobs
        ],
    )
    _announce(session, session.get_bind().dialect.name)


def cancel_jobs(
    session: Session,
    *,
    ordering_key: str | None = None,
    group_key: str | None = None,
    name: str | None = None,
    job_ids: list[int] | None = None,
) -> int:
    """Cancel queued jobs matching every given filter; returns how many. Running jobs finish normally.

    A running job cannot be stopped from here without racing its result, so it completes; its
    handler reloads its rows and should find nothing left to do.
    """
    filters = []
    if ordering_key is not None:
        filters.append(_jobs.c.ordering_key == ordering_key)
    if group_key is not None:
        filters.append(_jobs.c.group_key == group_key)
    if name is not None:
        filters.append(_jobs.c.name == name)
    if job_ids is not None:
        filters.append(_jobs.c.id.in_(job_ids))
    if not filters:
        raise ValueError("cancel_jobs needs at least one filter")
    now = utcnow()
    result = session.execute(
        update(_jobs)
        .where(_jobs.c.status == JobStatus.QUEUED.value, *filters)
        .values(status=JobStatus.CANCELLED.value, finished_at=now, updated_at=now)
    )
    return affected_rows(result)


def retry_dead(session: Session, job_id: int, *, more_attempts: int = 3) -> bool:
    """Requeue a dead job to run now with `more_attempts` further attempts; False if it is not dead.

    `attempts` is the fencing token and only ever grows, so the job gets its new budget by raising
    max_attempts rather than by resetting attempts (a reset would let a stale attempt number match).
    """
    if more_attempts < 1:
        raise ValueError("more_attempts must be at least 1")
    now = utcnow()
    result = session.execute(
        update(_jobs)
        .where(_jobs.c.id == job_id, _jobs.c.status == JobStatus.DEAD.value)
        .values(
            status=JobStatus.QUEUED.value,
            run_at=now,
            max_attempts=_jobs.c.attempts + more_attempts,
            finished_at=None,
            lease_until=None,
            updated_at=now,
        )
    )
    requeued = affected_rows(result) == 1
    if requeued:
        _announce(session, session.get_bind().dialect.name)
    return requeued


@dataclass(frozen=True)
class QueueStats:
    counts: dict[str, dict[str, int]]  # job name -> status -> count
    due: int  # queued jobs whose run_at has passed
    oldest_due_age_seconds: float | None  # how long the longest-waiting due job has waited
    expired_leases: int  # running jobs whose worker stopped renewing (died, or is about to be replaced)


def queue_stats(session: Session) -> QueueStats:
    """Counts by name and status, and how far behind the workers are (for the health endpoint)."""
    now = utcnow()
    counts: dict[str, dict[str, int]] = {}
    for name, status, count in session.execute(
        select(_jobs.c.name, _jobs.c.status, func.count()).group_by(_jobs.c.name, _jobs.c.status)
    ):
        counts.setdefault(name, {})[status] = count
    due, oldest = session.execute(
        select(func.count(), func.min(_jobs.c.run_at)).where(
            _jobs.c.status == JobStatus.QUEUED.value, _jobs.c.run_at <= now
        )
    ).one()
    expired = session.execute(
        select(func.count()).where(_jobs.c.status == JobStatus.RUNNING.value, _jobs.c.lease_until < now)
    ).scalar_one()
    age = (now - oldest).total_seconds() if oldest is not None else None
    return QueueStats(counts=counts, due=due, oldest_due_age_seconds=age, expired_leases=expired)


def schedule(
    session: Session,
    name: str,
    every_seconds: int,
    payload: Mapping[str, Any] | None = None,
    *,
    key: str | None = None,
    first_run_at: dt.datetime | None = None,
    max_attempts: int = 1,
) -> None:
    """Create or update a durable schedule that enqueues job `name` every `every_seconds`.

    `key` names the schedule (default: the job name), so one job can have several schedules with
    different payloads. Updating keeps the next tick unless `first_run_at` is given. Ticks default to
    one attempt: the next tick is the retry, and retrying a stale tick would only pile up work.
    """
    if every_seconds < 1:
        raise ValueError("every_seconds must be at least 1")
    now = utcnow()
    changed: dict[str, Any] = {
        "job_name": name,
        "payload": dict(payload or {}),
        "every_seconds": every_seconds,
        "max_attempts": max_attempts,
        "updated_at": now,
    }
    values = {**changed, "key": key or name, "next_run_at": first_run_at or now, "created_at": now}
    if first_run_at is not None:
        changed["next_run_at"] = first_run_at
    insert_fn = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert_fn(_schedules).values(**values)
    session.execute(stmt.on_conflict_do_update(index_elements=[_schedules.c.key], set_=changed))


def unschedule(session: Session, key: str) -> bool:
    """Remove a schedule; jobs it already enqueued still run. False when there was none."""
    return affected_rows(session.execute(delete(_schedules).where(_schedules.c.key == key))) == 1


# Workers in this process that want to hear about commits that enqueued work (the embedded worker on
# SQLite has no LISTEN/NOTIFY; this wakes it without waiting for its next poll).
_local_listeners: WeakSet[threading.Event] = WeakSet()
_local_lock = threading.Lock()


def add_local_listener(wake: threading.Event) -> None:
    with _local_lock:
        _local_listeners.add(wake)


def remove_local_listener(wake: threading.Event) -> None:
    with _local_lock:
        _local_listeners.discard(wake)


def _wake_local(_session: Session) -> None:
    with _local_lock:
        listeners = list(_local_listeners)
    for wake in listeners:
        wake.set()


def _announce(session: Session, dialect: str) -> None:
    """Wake workers when this transaction commits: pg_notify is delivered at commit (and dropped on
    rollback), and in-process workers get an after_commit hook. Once per transaction is enough."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    if session.info.get("warpware_announced") is transaction:
        return
    session.info["warpware_announced"] = transaction
    if dialect == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    event.listen(session, "after_commit", _wake_local, once=True)
