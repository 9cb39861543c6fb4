"""Scheduled runs through the worker's schedules, the daily clock, and the guarded stock commit itself."""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa

from tests.brokering.bulk import seed
from tests.brokering.conftest import Broker
from tests.pipeline.conftest import Clock
from warpware.brokering import repository
from warpware.brokering.domain import day_start, next_daily, parent_status, parent_steps
from warpware.db import Database
from warpware.inventory.models import InventoryLevel
from warpware.kit.clock import utcnow


def test_an_interval_schedule_runs_brokering_on_its_own(broker: Broker, clock: Clock) -> None:
    broker.stock("WIDGET", 5, "West")
    order_id = broker.order("SCH-1", [("WIDGET", 1)])
    broker.settings(schedule="interval", interval_minutes=15)
    broker.pipeline.run_jobs()
    assert broker.get(order_id)["brokering_queue"] == "brokering"  # not due yet
    clock.advance(15 * 60 + 5)
    broker.pipeline.run_jobs()
    runs = broker.tenant.get("/partner/v1/brokering/runs").json()["data"]
    assert [(r["trigger"], r["status"], r["routed"]) for r in runs] == [("schedule", "finished", 1)]
    assert broker.get(order_id)["connection_id"] == broker.west
    broker.settings(schedule="off")
    clock.advance(3600)
    broker.pipeline.run_jobs()
    assert len(broker.tenant.get("/partner/v1/brokering/runs").json()["data"]) == 1


def test_a_daily_schedule_fires_at_the_local_time(broker: Broker, clock: Clock) -> None:
    broker.settings(schedule="daily", daily_at="07:00", timezone="America/New_York")
    due = next_daily(clock.now, "07:00", "America/New_York")
    clock.now = due - dt.timedelta(seconds=30)
    broker.pipeline.run_jobs()
    assert broker.tenant.get("/partner/v1/brokering/runs").json()["data"] == []
    clock.now = due + dt.timedelta(seconds=5)
    broker.pipeline.run_jobs()
    runs = broker.tenant.get("/partner/v1/brokering/runs").json()["data"]
    assert [r["trigger"] for r in runs] == ["schedule"]


def test_next_daily_follows_the_wall_clock_across_dst() -> None:
    # 2026-03-08: New York moves from UTC-5 to UTC-4.
    before = dt.datetime(2026, 3, 7, 13, 0, tzinfo=dt.UTC)  # 08:00 EST on the 7th
    assert next_daily(before, "07:00", "America/New_York") == dt.datetime(2026, 3, 8, 11, 0, tzinfo=dt.UTC)
    assert next_daily(before, "09:30", "America/New_York") == dt.datetime(2026, 3, 7, 14, 30, tzinfo=dt.UTC)
    assert day_start(before, "America/New_York") == dt.datetime(2026, 3, 7, 5, 0, tzinfo=dt.UTC)


def test_parent_status_rule() -> None:
    assert parent_status(["ready", "processing"]) == "ready"
    assert parent_status(["shipped", "cancelled"]) == "shipped"
    assert parent_status(["cancelled", "cancelled"]) == "cancelled"
    assert parent_status(["failed", "shipped"]) == "ready"
    assert parent_status(["hold", "shipped"]) == "pending"
    assert parent_steps("pending", ["delivered", "delivered"]) == ["shipped", "delivered"]
    assert parent_steps("shipped", ["ready", "shipped"]) == []  # never backwards


def test_two_transactions_cannot_commit_the_same_last_unit(pg_db: Database) -> None:
    seeded = seed(pg_db, orders=0, locations=1, skus=1, stock_share=1.0, max_on_hand=1)
    with pg_db.writing() as session:
        level_seq = session.scalars(
            sa.select(InventoryLevel.seq).where(InventoryLevel.account_id == seeded.account_id)
        ).one()
        session.execute(sa.update(InventoryLevel).where(InventoryLevel.seq == level_seq).values(on_hand=1))
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def take() -> None:
        with pg_db.writing() as session:
            barrier.wait()
            results.append(repository.commit_units(session, level_seq, 1, 0, utcnow()))

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    with pg_db.reading() as session:
        level = session.scalars(sa.select(InventoryLevel).where(InventoryLevel.seq == level_seq)).one()
        assert (level.on_hand, level.committed) == (1, 1)
