"""The worker: claims due jobs in batches, runs their handlers on a thread pool, records the outcome.

Any number of these run at once, in any number of processes and machines; the database decides who
gets which job (see repository.py), so workers never talk to each other.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import signal
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import FrameType
from typing import Any

from warpware.connectors.base import PermanentConnectorError, RetryableConnectorError
from warpware.db import Database
from warpware.kit.clock import utcnow
from warpware.worker.backoff import DEFAULT_BASE_SECONDS, DEFAULT_CAP_SECONDS, RandomSource, backoff_delay
from warpware.worker.errors import JobFailed, LeaseLost, RetryLater
from warpware.worker.handlers import JobContext, get_handler, load_handler_modules, registered_names
from warpware.worker.queue import NOTIFY_CHANNEL, add_local_listener, remove_local_listener
from warpware.worker.repository import (
    ClaimedJob,
    claim_jobs,
    finish_jobs,
    fire_due_schedules,
    record_failure,
    renew_leases,
)

log = logging.getLogger("warpware.worker")

_ERROR_LIMIT = 4000
# Schedules are checked at most this often: their granularity is seconds, and each check writes.
_SCHEDULE_CHECK_SECONDS = 1.0
# The longest a job whose handler returned waits to be marked done (it holds back its ordering_key).
_FLUSH_AFTER_SECONDS = 0.05
# How often a sleeping dispatcher looks at its stop event, so shutdown is prompt with long polls.
_STOP_CHECK_SECONDS = 0.25


class Worker:
    """Claims and runs jobs until stopped. One per process is usual; tests run several side by side."""

    def __init__(
        self,
        database: Database,
        *,
        concurrency: int = 8,
        batch_size: int | None = None,
        lease_seconds: float = 30.0,
        poll_interval: float = 0.2,
        handler_modules: Sequence[str] = (),
        worker_id: str | None = None,
        job_names: Collection[str] | None = None,
        backoff_base: float = DEFAULT_BASE_SECONDS,
        backoff_cap: float = DEFAULT_CAP_SECONDS,
        rng: RandomSource | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        load_handler_modules(handler_modules)
        self.database = database
        self.concurrency = concurrency
        self.batch_size = batch_size or concurrency
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        # None: every registered handler. A subset makes a dedicated pool (or isolates tests).
        self.job_names = frozenset(job_names) if job_names is not None else None
        missing = sorted((self.job_names or frozenset()) - registered_names())
        if missing:
            raise ValueError(f"no handler registered for {', '.join(missing)}")
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.rng: RandomSource = rng or random.Random()
        self.ready = threading.Event()  # set after the first claim round (and LISTEN, on PostgreSQL)
        self.processed = 0
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._in_flight: dict[tuple[int, int], ClaimedJob] = {}
        # Jobs whose handler returned without finishing itself: marked done in the next claim's
        # transaction, which saves a commit per job (a crash before then only repeats idempotent work).
        self._returned: list[tuple[int, int]] = []
        self._flush_deadline = 0.0
        self._last_schedule_check = -_SCHEDULE_CHECK_SECONDS
        self._claim_threshold = max(1, min(self.batch_size, concurrency) // 4)

    # --- running -------------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        """Run until `stop` is set, then let in-flight jobs finish (their leases are renewed meanwhile)."""
        self._run(stop, until_idle=False)

    def run_until_idle(self) -> int:
        """Run every job that is due (including ones that become due by finishing others), then return
        how many ran. Jobs scheduled for later are left alone. For tests and one-shot commands."""
        return self._run(threading.Event(), until_idle=True)

    def wake(self) -> None:
        self._wake.set()

    def _run(self, stop: threading.Event, *, until_idle: bool) -> int:
        processed_before = self.processed
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="warpware-job")
        halt = threading.Event()
        helpers = [
            threading.Thread(
                target=self._heartbeat_loop, args=(halt,), daemon=True, name="warpware-heartbeat"
            )
        ]
        listening = threading.Event()
        if not until_idle and self.database.dialect == "postgresql":
            helpers.append(
                threading.Thread(
                    target=self._listen_loop, args=(halt, listening), daemon=True, name="warpware-listen"
                )
            )
        else:
            listening.set()
        add_local_listener(self._wake)
        for helper in helpers:
            helper.start()
        # Claim only once LISTEN is in place, so nothing committed in between goes unnoticed.
        listening.wait(timeout=5.0)
        try:
            while not stop.is_set():
                self._wake.clear()
                with self._lock:
                    busy_before = bool(self._in_flight)
                    free = self.concurrency - len(self._in_flight)
                    flush_due = bool(self._returned) and time.monotonic() >= self._flush_deadline
                # Claim once a quarter of the slots are free rather than for every finished job:
                # fewer, fuller claims under load; an idle worker still claims at once, and a job
                # that returned is marked done within _FLUSH_AFTER_SECONDS whatever the load.
                enough = free >= self._claim_threshold or not busy_before or flush_due
                wanted = min(free, self.batch_size) if enough else 0
                try:
                    fired = self._maybe_fire_schedules(force=until_idle and not busy_before)
                    claimed = self._claim_and_submit(pool, wanted)
                except Exception:
                    if until_idle:
                        raise
                    log.exception("worker %s: claiming failed; trying again shortly", self.worker_id)
                    self._sleep(stop, self.poll_interval)
                    continue
                if until_idle and claimed == 0 and not busy_before and not fired:
                    break
                if not self.ready.is_set():
                    self.ready.set()
                    log.info("worker %s ready (concurrency %d)", self.worker_id, self.concurrency)
                if wanted > 0 and claimed == wanted:
                    continue  # a full batch: more may be waiting
                with self._lock:
                    pending = bool(self._returned)
                self._sleep(stop, _FLUSH_AFTER_SECONDS if pending else self.poll_interval)
        finally:
            pool.shutdown(wait=True)
            try:
                # Record the jobs that returned since the last claim.
                self._claim_and_submit(pool, 0, final=True)
            except Exception:
                log.exception(
                    "worker %s: recording finished jobs failed; they will run again", self.worker_id
                )
            halt.set()
            for helper in helpers:
                helper.join()
            remove_local_listener(self._wake)
        return self.processed - processed_before

    def _sleep(self, stop: threading.Event, seconds: float) -> None:
        """Wait for a wake-up (a notify, a finished job) or `seconds`, noticing `stop` promptly."""
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._wake.wait(min(remaining, _STOP_CHECK_SECONDS)):
                return

    def _names(self) -> frozenset[str]:
        return self.job_names if self.job_names is not None else registered_names()

    def _maybe_fire_schedules(self, *, force: bool) -> int:
        if not force and time.monotonic() - self._last_schedule_check < _SCHEDULE_CHECK_SECONDS:
            return 0
        self._last_schedule_check = time.monotonic()
        with self.database.writing() as session:
            return fire_due_schedules(session, names=self._names(), now=utcnow())

    def _claim_and_submit(self, pool: ThreadPoolExecutor, limit: int, *, final: bool = False) -> int:
        """In one transaction: mark the jobs that returned done, then claim up to `limit` more."""
        with self._lock:
            if limit <= 0 and not (final or (self._returned and time.monotonic() >= self._flush_deadline)):
                return 0
            returned, self._returned = self._returned, []
        if not returned and limit <= 0:
            return 0
        try:
            with self.database.writing() as session:
                now = utcnow()
                refused = finish_jobs(session, returned, now=now)
                jobs = claim_jobs(
                    session,
                    worker_id=self.worker_id,
                    names=self._names(),
                    limit=limit,
                    lease_seconds=self.lease_seconds,
                    now=now,
                )
        except Exception:
            with self._lock:
                self._returned[:0] = returned
            raise
        for job_id, attempt in refused:
            log.warning(
                "job %d attempt %d returned after losing its lease; its result is not recorded",
                job_id,
                attempt,
            )
        for job in jobs:
            with self._lock:
                self._in_flight[(job.id, job.attempt)] = job
            pool.submit(self._execute, job).add_done_callback(self._make_done_callback(job))
        return len(jobs)

    def _make_done_callback(self, job: ClaimedJob) -> Any:
        def done(_future: Future[None]) -> None:
            with self._lock:
                self._in_flight.pop((job.id, job.attempt), None)
                self.processed += 1
            self._wake.set()

        return done

    # --- one job -------------------------------------------------------------------------------

    def _execute(self, job: ClaimedJob) -> None:
        handler = get_handler(job.name)
        ctx = JobContext(
            database=self.database,
            job_id=job.id,
            name=job.name,
            attempt=job.attempt,
            max_attempts=job.max_attempts,
            worker_id=self.worker_id,
        )
        try:
            if handler is None:  # only names with handlers are claimed; a handler cannot vanish
                raise JobFailed(f"no handler for {job.name!r}")
            handler(job.payload, ctx)
        except LeaseLost:
            log.warning(
                "job %d (%s) attempt %d lost its lease; its transaction rolled back",
                job.id,
                job.name,
                job.attempt,
            )
            return
        except Exception as exc:
            self._fail(job, exc)
            return
        if not ctx.finished:
            with self._lock:
                if not self._returned:
                    self._flush_deadline = time.monotonic() + _FLUSH_AFTER_SECONDS
                self._returned.append((job.id, job.attempt))

    def _fail(self, job: ClaimedJob, exc: Exception) -> None:
        retry_at = self._retry_at(job, exc)
        error = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, (RetryLater, JobFailed, RetryableConnectorError, PermanentConnectorError)):
            # An unexpected exception: keep where it came from, it is what a person needs to see.
            error += "\n" + "".join(traceback.format_exception(exc)[-3:])
        log.log(
            logging.WARNING if retry_at else logging.ERROR,
            "job %d (%s) attempt %d/%d failed%s: %s",
            job.id,
            job.name,
            job.attempt,
            job.max_attempts,
            f", retry at {retry_at:%H:%M:%S}" if retry_at else ", now dead",
            error.splitlines()[0],
        )
        try:
            with self.database.writing() as session:
                recorded = record_failure(
                    session, job.id, job.attempt, error=error[:_ERROR_LIMIT], retry_at=retry_at, now=utcnow()
                )
        except Exception:
            log.exception(
                "job %d (%s): recording the failure failed; the lease will expire", job.id, job.name
            )
            return
        if not recorded:
            log.warning("job %d (%s) attempt %d failed after losing its lease", job.id, job.name, job.attempt)

    def _retry_at(self, job: ClaimedJob, exc: Exception) -> dt.datetime | None:
        """When to try again, or None for dead."""
        if isinstance(exc, (JobFailed, PermanentConnectorError)) or job.attempt >= job.max_attempts:
            return None
        delay: float | None = None
        if isinstance(exc, RetryLater):
            delay = exc.delay
        elif isinstance(exc, RetryableConnectorError):
            delay = exc.retry_after
        if delay is None:
            delay = backoff_delay(job.attempt, base=self.backoff_base, cap=self.backoff_cap, rng=self.rng)
        return utcnow() + dt.timedelta(seconds=max(0.0, delay))

    # --- helpers threads -----------------------------------------------------------------------

    def _heartbeat_loop(self, halt: threading.Event) -> None:
        """Renew the leases of running jobs, so a long job is not taken over while its worker lives."""
        while not halt.wait(self.lease_seconds / 3):
            with self._lock:
                leases = list(self._in_flight)
            if not leases:
                continue
            try:
                with self.database.writing() as session:
                    lost = renew_leases(session, leases, lease_seconds=self.lease_seconds, now=utcnow())
            except Exception:
                log.exception("worker %s: renewing leases failed", self.worker_id)
                continue
            for job_id, attempt in lost:
                log.warning(
                    "job %d attempt %d: lease lost while running; its result will be refused", job_id, attempt
                )

    def _listen_loop(self, halt: threading.Event, listening: threading.Event) -> None:
        """LISTEN on PostgreSQL and wake the dispatcher on every notify (sent by enqueue at commit)."""
        while not halt.is_set():
            connection: Any = None
            try:
                raw = self.database.engine.raw_connection()
                connection = raw.driver_connection
                raw.detach()  # a long-lived LISTEN connection is not the pool's to recycle
                connection.rollback()
                connection.autocommit = True
                connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                listening.set()
                self._wake.set()  # anything committed before LISTEN was in place
                while not halt.is_set():
                    for _notify in connection.notifies(timeout=_STOP_CHECK_SECONDS):
                        self._wake.set()
            except Exception:
                if halt.is_set():
                    return
                log.exception("worker %s: LISTEN connection failed; polling until it is back", self.worker_id)
                listening.set()
                halt.wait(5.0)
            finally:
                if connection is not None:
                    connection.close()


class EmbeddedWorker:
    """A worker running on a thread of the API server process."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=worker.run_forever, args=(self._stop,), daemon=True, name="warpware-embedded-worker"
        )
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop claiming, and wait up to `timeout` seconds for in-flight jobs to finish."""
        self._stop.set()
        self.worker.wake()
        self._thread.join(timeout)


def start_embedded_worker(
    database: Database,
    *,
    concurrency: int = 4,
    handler_modules: Sequence[str] = (),
    poll_interval: float = 0.5,
) -> EmbeddedWorker:
    """Start one in-process worker thread (the single-process setup); call stop() at shutdown.

    The thread is a daemon: a server that exits without stop() loses no work, the leases of its
    running jobs expire and another worker (or the next start) runs them again.
    """
    worker = Worker(
        database, concurrency=concurrency, handler_modules=handler_modules, poll_interval=poll_interval
    )
    return EmbeddedWorker(worker)


def run_worker_process(
    database_url: str,
    concurrency: int = 8,
    handler_modules: Sequence[str] = (),
    *,
    lease_seconds: float = 30.0,
    poll_interval: float = 1.0,
    job_names: Collection[str] | None = None,
    batch_size: int | None = None,
) -> None:
    """The `warpware worker` command: run until SIGTERM or SIGINT, then finish in-flight jobs and exit.

    A second signal exits at once; the leases of jobs still running then expire and others retry them.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    database = Database(database_url)
    worker = Worker(
        database,
        concurrency=concurrency,
        batch_size=batch_size,
        lease_seconds=lease_seconds,
        poll_interval=poll_interval,
        handler_modules=handler_modules,
        job_names=job_names,
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("worker %s: %s, finishing in-flight jobs", worker.worker_id, signal.Signals(signum).name)
        stop.set()
        worker.wake()
        signal.signal(signum, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        worker.run_forever(stop)
    finally:
        database.dispose()
    log.info("worker %s stopped after %d jobs", worker.worker_id, worker.processed)
