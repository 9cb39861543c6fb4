"""The job and schedule tables: the durable state of all background work."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, BigIntPK, JSONType


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"
    CANCELLED = "cancelled"


# A job in one of these states still owes its work; it holds back later jobs of its ordering_key.
UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)

_STATUS_SQL = ", ".join(f"'{status.value}'" for status in JobStatus)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))
    run_at: Mapped[dt.datetime]
    # Incremented by every claim and never lowered: the attempt number is the fencing token that every
    # write a worker makes about the job must present (see repository.finish_job).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    lease_until: Mapped[dt.datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(300))
    ordering_key: Mapped[str | None] = mapped_column(String(300))
    # Lets a cause cancel its pending work in one statement ("webhook_endpoint:<id>").
    group_key: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]

    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="ck_jobs_status"),
        # NULLs are distinct on both databases, so jobs without a key never collide.
        Index("uq_jobs_dedupe_key", "dedupe_key", unique=True),
        # The claim query: due queued jobs in run_at order, and running jobs whose lease ran out.
        Index(
            "ix_jobs_due",
            "run_at",
            "id",
            postgresql_where=text("status = 'queued'"),
            sqlite_where=text("status = 'queued'"),
        ),
        Index(
            "ix_jobs_lease",
            "lease_until",
            postgresql_where=text("status = 'running'"),
            sqlite_where=text("status = 'running'"),
        ),
        # "Is an earlier job of this ordering_key unfinished?" is asked for every candidate.
        Index(
            "ix_jobs_ordering",
            "ordering_key",
            "id",
            postgresql_where=text("ordering_key IS NOT NULL AND status IN ('queued', 'running')"),
            sqlite_where=text("ordering_key IS NOT NULL AND status IN ('queued', 'running')"),
        ),
        Index(
            "ix_jobs_group",
            "group_key",
            postgresql_where=text("group_key IS NOT NULL"),
            sqlite_where=text("group_key IS NOT NULL"),
        ),
        Index("ix_jobs_name_status", "name", "status"),
    )


class JobSchedule(Base):
    """A job enqueued every `every_seconds`; a worker claims each due tick, so it fires once per tick."""

    __tablename__ = "job_schedules"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    job_name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    every_seconds: Mapped[int] = mapped_column(BigInteger)
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_run_at: Mapped[dt.datetime] = mapped_column(index=True)
    last_run_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    __table_args__ = (CheckConstraint("every_seconds > 0", name="ck_job_schedules_every"),)


# Core handles for the queue's statements (the ORM adds nothing to bulk claims and fenced updates).
jobs_table = cast(Table, Job.__table__)
schedules_table = cast(Table, JobSchedule.__table__)
