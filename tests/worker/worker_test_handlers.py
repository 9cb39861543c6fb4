"""Handlers the worker tests run, in-process and in worker processes (imported by module name).

They write to their own table, `worker_test_effects`, with no unique constraint: a job that ran twice
leaves two rows, so the tests can see it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, insert
from sqlalchemy.orm import Session

from warpware.connectors.base import PermanentConnectorError, RetryableConnectorError
from warpware.db import BigIntPK
from warpware.worker import JobContext, JobFailed, RetryLater, job_handler

metadata = MetaData()
effects = Table(
    "worker_test_effects",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("tag", String(100), nullable=False),
    Column("job_id", BigInteger, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("event", String(20), nullable=False),
    Column("pid", Integer, nullable=False),
)


def record(session: Session, payload: dict[str, Any], ctx: JobContext, event: str) -> None:
    session.execute(
        insert(effects).values(
            tag=payload["tag"], job_id=ctx.job_id, attempt=ctx.attempt, event=event, pid=os.getpid()
        )
    )


@job_handler("test.effect")
def effect(payload: dict[str, Any], ctx: JobContext) -> None:
    """Records its effect and "done" in one transaction; fails after the effect on `fail_attempts`."""
    with ctx.finishing() as session:
        record(session, payload, ctx, "ran")
        if ctx.attempt in payload.get("fail_attempts", []):
            raise ValueError(f"boom on attempt {ctx.attempt}")


@job_handler("test.effect_plain")
def effect_plain(payload: dict[str, Any], ctx: JobContext) -> None:
    """Commits its effect on its own and returns; the runner marks the job done afterwards."""
    with ctx.database.writing() as session:
        record(session, payload, ctx, "ran")


@job_handler("test.slow")
def slow(payload: dict[str, Any], ctx: JobContext) -> None:
    """Says it started, then (on the first attempt) blocks long enough to be killed mid-job."""
    with ctx.database.writing() as session:
        record(session, payload, ctx, "started")
    if ctx.attempt == 1:
        time.sleep(payload["sleep"])
    with ctx.finishing() as session:
        record(session, payload, ctx, "finished")


@job_handler("test.raise")
def raise_error(payload: dict[str, Any], ctx: JobContext) -> None:
    if ctx.attempt > payload.get("fail_until", 1_000_000):
        with ctx.finishing() as session:
            record(session, payload, ctx, "ran")
        return
    error = payload["error"]
    if error == "value":
        raise ValueError("boom")
    if error == "retry_later":
        raise RetryLater(payload.get("delay"), "waiting for stock")
    if error == "retryable":
        raise RetryableConnectorError(
            "429 from warehouse",
            category="rate_limit",
            status_code=429,
            retry_after=payload.get("retry_after"),
        )
    if error == "permanent":
        raise PermanentConnectorError("address rejected", category="validation", status_code=422)
    if error == "job_failed":
        raise JobFailed("order was deleted")
    raise AssertionError(f"unknown error {error}")


# The ordering test reads what ran when from here (in-process workers only).
ordered_events: list[tuple[str, str, int]] = []
ordered_lock = threading.Lock()


@job_handler("test.ordered")
def ordered(payload: dict[str, Any], ctx: JobContext) -> None:
    with ordered_lock:
        ordered_events.append(("start", payload["key"], payload["seq"]))
    time.sleep(0.003)  # long enough for a second job of the same key to overlap, were it allowed to
    with ordered_lock:
        ordered_events.append(("end", payload["key"], payload["seq"]))
