"""Dispatch under failure, on SQLite and PostgreSQL: outages, backoff, the retry budget, cancels in flight.

The sandbox warehouse is real (an HTTP server on loopback); the jobs run in a real Worker. Time is the
`clock` fixture's wherever backoff matters, so "wait 30 s" is `clock.advance(30)`. The sandbox ships
nothing within these tests (ship_delay one hour), so tracking polls never move an order.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tests.pipeline.conftest import Clock, Pipeline
from warpware.app import HANDLER_MODULES
from warpware.config import get_settings
from warpware.db import Database
from warpware.pipeline import tasks
from warpware.worker import Worker
from warpware.worker.models import jobs_table

BASE = 30.0
JITTER = 0.2  # warpware.worker.backoff.DEFAULT_JITTER


@pytest.fixture(autouse=True)
def dispatch_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The documented defaults, pinned: 30 s × 2^(attempt-1), capped at an hour, 5 automatic attempts."""
    monkeypatch.setenv("WARPWARE_DISPATCH_RETRY_BASE_SECONDS", str(BASE))
    monkeypatch.setenv("WARPWARE_DISPATCH_RETRY_CAP_SECONDS", "3600")
    monkeypatch.setenv("WARPWARE_DISPATCH_MAX_ATTEMPTS", "5")
    monkeypatch.setenv("WARPWARE_TRACKING_POLL_SECONDS", "60")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()  # monkeypatch restores the environment right after this


@pytest.fixture(autouse=True)
def quiet_queue(db: Database) -> None:
    """No job left over from an earlier test (a poll, a retry) runs in this one: tests here count jobs,
    and a stray resend to the shared sandbox would show in its createAttempts."""
    with db.writing() as session:
        session.execute(
            update(jobs_table)
            .where(jobs_table.c.status.in_(["queued", "running"]))
            .values(status="cancelled")
        )


@pytest.fixture
def quiet_sandbox(pipeline: Pipeline) -> httpx.Client:
    """The sandbox with shipping an hour away, so a tracking poll never ships an order during a test."""
    pipeline.sandbox.put("/_sandbox/settings", json={"ship_delay": 3600}).raise_for_status()
    return pipeline.sandbox


class SequenceRandom:
    """random() answers these values in turn: each jittered delay is then known exactly."""

    def __init__(self, *values: float) -> None:
        self._values = iter(values)

    def random(self) -> float:
        return next(self._values)


def _faults(sandbox: httpx.Client, **faults: Any) -> None:
    sandbox.put("/_sandbox/faults", json=faults).raise_for_status()


def _remote(sandbox: httpx.Client) -> dict[str, Any]:
    data: dict[str, Any] = sandbox.get("/_sandbox/orders").json()
    return data


def _remote_references(sandbox: httpx.Client) -> list[str]:
    return sorted(order["referenceNum"] for order in _remote(sandbox)["orders"])


def _jobs(db: Database, order_id: str, name: str) -> list[Any]:
    """The jobs called `name` about this order, oldest first (found by payload: not every job has a key)."""
    with db.reading() as session:
        rows = session.execute(select(jobs_table).where(jobs_table.c.name == name).order_by(jobs_table.c.id))
        return [row for row in rows if row.payload.get("order_id") == order_id]


def _job_status(db: Database, job_id: int) -> str:
    with db.reading() as session:
        return str(session.scalar(select(jobs_table.c.status).where(jobs_table.c.id == job_id)))


def _push_failures(pipeline: Pipeline, order_id: str) -> list[dict[str, Any]]:
    return [
        dict(e["details"])
        for e in pipeline.events(order_id)  # type: ignore[call-overload]
        if e["type"] == "push_failed"
    ]


def _max_delay(attempt: int) -> float:
    """The longest the jitter lets attempt `attempt`'s retry wait, plus a second."""
    return BASE * 2 ** (attempt - 1) * (1 + JITTER) + 1


def test_an_outage_fails_attempts_with_backoff_and_every_order_goes_through_once_after_it(
    db: Database, pipeline: Pipeline, quiet_sandbox: httpx.Client, clock: Clock
) -> None:
    # Given a warehouse answering 503 to everything
    _faults(quiet_sandbox, status_5xx=True)
    order_ids = [pipeline.order(f"OUTAGE-{n}") for n in range(5)]

    # When the first two attempts of every order meet the outage
    pipeline.run_jobs()
    first_failed_at = clock.now
    clock.advance(_max_delay(1))
    pipeline.run_jobs()

    # Then every order is failed, counted twice, and each attempt said what went wrong and when the next is
    for order_id in order_ids:
        order = pipeline.get(order_id)
        assert (order["status"], order["retry_count"], order["error_category"]) == ("failed", 2, "server")
        assert order["destination_order_id"] is None
        failures = _push_failures(pipeline, order_id)
        assert [(f["attempt"], f["error_category"], f["status_code"]) for f in failures] == [
            (1, "server", 503),
            (2, "server", 503),
        ]
        assert all("next_attempt_at" in f and "needs_attention" not in f for f in failures)
        retries = _jobs(db, order_id, "order.retry")
        assert [(job.status, job.payload["attempt"]) for job in retries] == [("done", 1), ("queued", 2)]
        waited = (retries[1].run_at - clock.now).total_seconds()
        assert BASE * 2 * (1 - JITTER) <= waited <= BASE * 2 * (1 + JITTER)
        first_wait = (retries[0].run_at - first_failed_at).total_seconds()
        assert BASE * (1 - JITTER) <= first_wait <= BASE * (1 + JITTER)
    assert _remote(quiet_sandbox)["count"] == 0

    # When the warehouse recovers and the next retries come due
    _faults(quiet_sandbox)
    clock.advance(_max_delay(2))
    pipeline.run_jobs()

    # Then every order is sent, exactly once each
    for order_id in order_ids:
        order = pipeline.get(order_id)
        assert (order["status"], order["retry_count"], order["error_category"]) == ("processing", 2, None)
        assert order["destination_order_id"] is not None
        assert [e["type"] for e in pipeline.events(order_id)].count("push_success") == 1
    remote = _remote(quiet_sandbox)
    assert _remote_references(quiet_sandbox) == sorted(order_ids)
    assert remote["createAttempts"] == {order_id: 1 for order_id in order_ids}
    assert {o["referenceNum"]: str(o["orderId"]) for o in remote["orders"]} == {
        order_id: pipeline.get(order_id)["destination_order_id"] for order_id in order_ids
    }


def test_creates_that_fail_are_resent_and_the_warehouse_ends_with_one_order_each(
    db: Database, pipeline: Pipeline, quiet_sandbox: httpx.Client, clock: Clock
) -> None:
    # Given a warehouse whose order creation answers 500 (the request reaches it; nothing is stored)
    _faults(quiet_sandbox, error_rate=1.0)
    order_ids = [pipeline.order(f"CREATE-500-{n}") for n in range(3)]
    pipeline.run_jobs()
    clock.advance(_max_delay(1))
    pipeline.run_jobs()
    assert [pipeline.get(o)["retry_count"] for o in order_ids] == [2, 2, 2]
    assert _remote(quiet_sandbox)["createAttempts"] == {order_id: 2 for order_id in order_ids}

    # When it recovers
    _faults(quiet_sandbox)
    clock.advance(_max_delay(2))
    pipeline.run_jobs()

    # Then the third create of each went through, and only it
    remote = _remote(quiet_sandbox)
    assert _remote_references(quiet_sandbox) == sorted(order_ids)
    assert remote["createAttempts"] == {order_id: 3 for order_id in order_ids}
    assert [pipeline.get(o)["status"] for o in order_ids] == ["processing"] * 3


def test_five_failed_attempts_stop_automatic_retries_and_a_manual_retry_sends_the_order(
    db: Database, pipeline: Pipeline, quiet_sandbox: httpx.Client, clock: Clock
) -> None:
    # Given a warehouse that stays down through five attempts
    _faults(quiet_sandbox, status_5xx=True)
    order_id = pipeline.order("FIVE-STRIKES")
    pipeline.run_jobs()
    for attempt in range(1, 5):
        clock.advance(_max_delay(attempt))
        pipeline.run_jobs()

    # Then automatic retries stop: the order is failed, counted five times, and flagged for a person
    order = pipeline.get(order_id)
    assert (order["status"], order["retry_count"], order["error_category"]) == ("failed", 5, "server")
    failures = _push_failures(pipeline, order_id)
    assert [f["attempt"] for f in failures] == [1, 2, 3, 4, 5]
    assert ["next_attempt_at" in f for f in failures] == [True, True, True, True, False]
    assert failures[-1]["needs_attention"] is True
    [needs_attention] = [e for e in pipeline.events(order_id) if e["type"] == "order.failed"]
    assert needs_attention["source"] == "notification"
    assert needs_attention["details"] == {"error_message": order["error_message"], "error_type": "server"}
    retries = _jobs(db, order_id, "order.retry")
    assert [(job.status, job.payload["attempt"]) for job in retries] == [
        ("done", 1),
        ("done", 2),
        ("done", 3),
        ("done", 4),
    ]
    health = pipeline.tenant.get("/partner/v1/health").json()["data"]
    assert (health["failed"], health["failed_needing_attention"]) == (1, 1)

    # And nothing more happens by itself, however long it waits (even once the warehouse is back)
    _faults(quiet_sandbox)
    clock.advance(86_400)
    pipeline.run_jobs()
    assert (pipeline.get(order_id)["status"], pipeline.get(order_id)["retry_count"]) == ("failed", 5)
    assert [job.status for job in _jobs(db, order_id, "order.dispatch")] == ["done"] * 5
    assert _remote(quiet_sandbox)["createAttempts"] == {}

    # When a person retries it
    response = pipeline.tenant.post(f"/partner/v1/orders/{order_id}/retry")
    assert response.status_code == 200, response.text
    assert (response.json()["data"]["status"], response.json()["data"]["retry_count"]) == ("ready", 0)
    pipeline.run_jobs()

    # Then it goes through, once
    order = pipeline.get(order_id)
    assert (order["status"], order["retry_count"], order["error_message"]) == ("processing", 0, None)
    types = [e["type"] for e in pipeline.events(order_id)]
    assert types.count("manual_retry") == 1 and types.count("push_success") == 1
    assert _remote(quiet_sandbox)["createAttempts"] == {order_id: 1}


def test_backoff_doubles_per_attempt_exactly_when_the_jitter_is_pinned(
    db: Database,
    pipeline: Pipeline,
    quiet_sandbox: httpx.Client,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given jitter draws of 0.5 (none), 0.0 (-20 %), 1.0 (+20 %, the upper edge) and 0.25 (-10 %)
    monkeypatch.setattr(tasks, "_rng", SequenceRandom(0.5, 0.0, 1.0, 0.25))
    _faults(quiet_sandbox, status_5xx=True)
    order_id = pipeline.order("BACKOFF-PINNED")
    expected = [30.0, 60.0 * 0.8, 120.0 * 1.2, 240.0 * 0.9]

    # When four attempts fail, each run exactly when its retry comes due
    pipeline.run_jobs()
    waits = []
    for attempt in range(1, 5):
        failed_at = clock.now
        [retry] = [job for job in _jobs(db, order_id, "order.retry") if job.payload["attempt"] == attempt]
        waits.append(retry.run_at - failed_at)
        detail = _push_failures(pipeline, order_id)[-1]
        assert dt.datetime.fromisoformat(detail["next_attempt_at"]) == retry.run_at
        # A second before it is due nothing happens; at the due time the retry runs and the resend fails.
        clock.advance((retry.run_at - clock.now).total_seconds() - 1)
        pipeline.run_jobs()
        assert (_job_status(db, retry.id), pipeline.get(order_id)["retry_count"]) == ("queued", attempt)
        clock.now = retry.run_at
        pipeline.run_jobs()
        assert (_job_status(db, retry.id), pipeline.get(order_id)["retry_count"]) == ("done", attempt + 1)

    # Then each wait was base × 2^(attempt-1) × the jitter drawn, to the microsecond
    assert waits == [dt.timedelta(seconds=seconds) for seconds in expected]
    assert pipeline.get(order_id)["retry_count"] == 5
    assert [f.get("next_attempt_at") is None for f in _push_failures(pipeline, order_id)] == [
        False,
        False,
        False,
        False,
        True,
    ]


def test_backoff_jitter_spreads_retries_within_twenty_percent_of_the_base(
    db: Database, pipeline: Pipeline, quiet_sandbox: httpx.Client, clock: Clock
) -> None:
    # Given ten orders failing together in an outage
    _faults(quiet_sandbox, status_5xx=True)
    order_ids = [pipeline.order(f"JITTER-{n}") for n in range(10)]

    # When their first attempts fail at the same instant
    pipeline.run_jobs()

    # Then every retry is due 24 to 36 s later, and they do not come back as one burst
    waits = []
    for order_id in order_ids:
        [retry] = _jobs(db, order_id, "order.retry")
        waits.append((retry.run_at - clock.now).total_seconds())
    assert all(BASE * (1 - JITTER) <= wait <= BASE * (1 + JITTER) for wait in waits), waits
    assert len(set(waits)) == len(waits)


def test_a_429_with_retry_after_schedules_the_retry_exactly_that_many_seconds_later(
    db: Database, pipeline: Pipeline, quiet_sandbox: httpx.Client, clock: Clock
) -> None:
    # Given a warehouse that rate-limits the next request and asks for 7 s
    _faults(quiet_sandbox, rate_limit_next=1, retry_after_seconds=7)
    order_id = pipeline.order("RATE-LIMITED")

    # When the send meets the 429
    pipeline.run_jobs()

    # Then the retry waits exactly what the warehouse asked, not the backoff
    order = pipeline.get(order_id)
    assert (order["status"], order["retry_count"], order["error_category"]) == ("failed", 1, "rate_limit")
    [failure] = _push_failures(pipeline, order_id)
    assert (failure["error_category"], failure["status_code"]) == ("rate_limit", 429)
    [retry] = _jobs(db, order_id, "order.retry")
    assert retry.run_at == clock.now + dt.timedelta(seconds=7)
    assert failure["next_attempt_at"] == (clock.now + dt.timedelta(seconds=7)).isoformat()

    # And at that moment (not a microsecond before) the order goes through
    clock.advance(6.999_999)
    pipeline.run_jobs()
    assert (_job_status(db, retry.id), pipeline.get(order_id)["status"]) == ("queued", "failed")
    clock.advance(0.000_001)
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "processing"
    assert _remote(quiet_sandbox)["createAttempts"] == {order_id: 1}


def test_an_order_cancelled_while_its_send_is_in_flight_is_cancelled_at_the_warehouse(
    db: Database, pipeline: Pipeline, quiet_sandbox: httpx.Client
) -> None:
    # Given an order whose send is on its way to a slow warehouse
    _faults(quiet_sandbox, latency_ms=600)
    order_id = pipeline.order("CANCEL-IN-FLIGHT")
    with _worker_in_background(db) as finished:
        _wait_for(lambda: order_id in _remote(quiet_sandbox)["createAttempts"], timeout=15)
        assert _remote(quiet_sandbox)["count"] == 0  # received, not yet stored

        # When the order is cancelled before the warehouse answers
        response = pipeline.tenant.post(
            f"/partner/v1/orders/{order_id}/cancel", json={"reason": "Customer changed their mind"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["status"] == "cancelled"
        finished.wait(timeout=30)
    pipeline.run_jobs()

    # Then the send's answer is recorded, and the order is taken back at the warehouse
    order = pipeline.get(order_id)
    [remote] = _remote(quiet_sandbox)["orders"]
    assert (order["status"], order["cancel_reason"]) == ("cancelled", "Customer changed their mind")
    assert order["destination_order_id"] == str(remote["orderId"])
    assert (remote["referenceNum"], remote["statusName"], remote["cancelReason"]) == (
        order_id,
        "canceled",
        "Cancelled in WarpWare",
    )
    types = [e["type"] for e in pipeline.events(order_id)]
    assert types[types.index("cancelled") :] == ["cancelled", "push_success", "remote_cancelled"]
    assert [job.status for job in _jobs(db, order_id, "order.cancel_remote")] == ["done"]


def test_an_order_cancelled_after_it_was_sent_is_cancelled_at_the_warehouse(
    db: Database, pipeline: Pipeline, quiet_sandbox: httpx.Client
) -> None:
    # Given an order the warehouse holds
    order_id = pipeline.order("CANCEL-AFTER-SEND")
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "processing"

    # When it is cancelled before it ships
    response = pipeline.tenant.post(f"/partner/v1/orders/{order_id}/cancel", json={"reason": "Fraud"})
    assert response.status_code == 200, response.text
    pipeline.run_jobs()

    # Then the warehouse is told
    [remote] = _remote(quiet_sandbox)["orders"]
    assert (remote["statusName"], remote["cancelReason"]) == ("canceled", "Cancelled in WarpWare")
    assert [e["type"] for e in pipeline.events(order_id)][-1] == "remote_cancelled"


def test_a_manual_retry_while_an_automatic_retry_waits_sends_the_order_now(
    db: Database, pipeline: Pipeline, quiet_sandbox: httpx.Client, clock: Clock
) -> None:
    # Given an order whose first send failed; its automatic retry is 24-36 s away
    _faults(quiet_sandbox, status_5xx=True)
    order_id = pipeline.order("RETRY-NOW")
    pipeline.run_jobs()
    _faults(quiet_sandbox)

    # When a person retries it at once ("Re-queue a failed order now")
    response = pipeline.tenant.post(f"/partner/v1/orders/{order_id}/retry")
    assert response.status_code == 200, response.text
    pipeline.run_jobs()

    # Then it is sent now, not when the automatic retry comes due
    assert pipeline.get(order_id)["status"] == "processing"
    assert _remote(quiet_sandbox)["createAttempts"] == {order_id: 1}

    # And the automatic retry, when it does come due, finds nothing to do
    clock.advance(_max_delay(1))
    pipeline.run_jobs()
    assert [job.status for job in _jobs(db, order_id, "order.retry")] == ["done"]
    assert [job.status for job in _jobs(db, order_id, "order.dispatch")] == ["done", "done"]
    assert (pipeline.get(order_id)["status"], _remote(quiet_sandbox)["createAttempts"]) == (
        "processing",
        {order_id: 1},
    )


# --- helpers ---------------------------------------------------------------------------------------


@contextmanager
def _worker_in_background(db: Database) -> Iterator[threading.Event]:
    """A real Worker running every due job on a thread while the test acts; the event is set when idle."""
    finished = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            Worker(db, concurrency=4, poll_interval=0.01, handler_modules=HANDLER_MODULES).run_until_idle()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)
        finally:
            finished.set()

    thread = threading.Thread(target=run, name="durability-worker", daemon=True)
    thread.start()
    try:
        yield finished
    finally:
        thread.join(timeout=30)
    assert not errors, errors


def _wait_for(condition: Callable[[], bool], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.01)
