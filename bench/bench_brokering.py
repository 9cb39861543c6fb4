"""Brokering runs end to end: orders brokered per second, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_brokering.py [--orders 3000] [--locations 50] [--skus 200]
                                              [--cases sqlite,pg] [--split] [--record]

Per case: a fresh database (a temporary SQLite file, or a new PostgreSQL schema that is dropped after),
--orders pending orders already approved in the brokering queue and --locations destination locations
with stock (written with bulk inserts by tests/brokering/bulk.py: 1-3 lines of random SKUs, ~60% of
SKUs stocked 0-30 units at each location). Then, timed: `POST /partner/v1/brokering/runs` through the
real app, one worker (`brokering.run` jobs only) runs it, and the run's own record gives the result.
The run does everything a production run does per order: lock and plan its batch with the engine's
Ledger, commit the units with guarded UPDATEs, write commitments, route (timeline events, webhook
outbox check) and enqueue the dispatch job, or park it as unfillable. The dispatches themselves are
bench/bench_pipeline.py's business and are not run.

orders/s = orders considered / (run finished − run requested); routed/s counts only routed orders.
CPU s is this process's CPU time over the run (the API, the worker, the planner; PostgreSQL's own
processes are not counted). --record appends the table to bench/RESULTS.md under "## Brokering runs".
Needs PostgreSQL at WARPWARE_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests.brokering.bulk builds the data

import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from recording import append_run  # noqa: E402  (bench/ is on sys.path when run as a script)
from tests.brokering.bulk import seed, stock_consistency  # noqa: E402
from tests.conftest import settings_for  # noqa: E402

from warpware.app import HANDLER_MODULES, create_app  # noqa: E402
from warpware.brokering.models import BrokeringSettings  # noqa: E402
from warpware.db import Database  # noqa: E402
from warpware.schema import create_schema  # noqa: E402
from warpware.worker import Worker  # noqa: E402

SECTION = "## Brokering runs"
INTRO = """Written by bench/bench_brokering.py: a brokering run over orders already waiting (approved) in
the brokering queue, end to end from `POST /brokering/runs` to the run's `finished_at`, one worker. Each
order is planned (engine Ledger), its units committed with guarded UPDATEs, routed (timeline, dispatch
job queued) or parked as unfillable. The dispatches are not run (bench/bench_pipeline.py measures them)."""
POSTGRES_URL = os.environ.get(
    "WARPWARE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _database(kind: str, workdir: str) -> tuple[Database, Any]:
    if kind == "sqlite":
        database = Database(f"sqlite:///{workdir}/bench.db")
        create_schema(database)
        return database, None
    schema = f"ww_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    database = Database(f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}")
    create_schema(database)

    def drop() -> None:
        database.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return database, drop


def run_case(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as workdir:
        database, drop = _database(kind, workdir)
        try:
            seeded = seed(
                database, orders=args.orders, locations=args.locations, skus=args.skus, allow_split=args.split
            )
            auth = {"Authorization": f"Bearer {seeded.key}"}
            with TestClient(create_app(settings_for(database), database=database)) as client:
                cpu0 = time.process_time()
                response = client.post("/partner/v1/brokering/runs", json={}, headers=auth)
                assert response.status_code == 202, response.text
                run_id = response.json()["data"]["id"]
                Worker(
                    database,
                    concurrency=1,
                    poll_interval=0.01,
                    handler_modules=HANDLER_MODULES,
                    job_names={"brokering.run"},
                ).run_until_idle()
                cpu = time.process_time() - cpu0
                run = client.get(f"/partner/v1/brokering/runs/{run_id}", headers=auth).json()["data"]
            assert run["status"] == "finished", run
            assert stock_consistency(database, seeded.account_id) == []
            with database.reading() as session:
                batch = session.get(BrokeringSettings, seeded.account_id).batch_size  # type: ignore[union-attr]
            created = dt.datetime.fromisoformat(run["created_at"].replace("Z", "+00:00"))
            finished = dt.datetime.fromisoformat(run["finished_at"].replace("Z", "+00:00"))
            seconds = (finished - created).total_seconds()
            return {
                "kind": kind,
                "orders": run["orders_considered"],
                "routed": run["routed"],
                "split": run["split"],
                "unfillable": run["moved_to"]["unfillable"],
                "seconds": seconds,
                "per_s": run["orders_considered"] / seconds,
                "routed_per_s": run["routed"] / seconds,
                "cpu": cpu,
                "batch": batch,
            }
        finally:
            if drop is not None:
                drop()
            else:
                database.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--locations", type=int, default=50)
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--cases", default="sqlite,pg")
    parser.add_argument("--split", action="store_true", help="allow split shipments")
    parser.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    args = parser.parse_args()
    load_before = os.getloadavg()
    rows = [
        "| database | orders | routed | split | unfillable | batch | run s | orders/s | routed/s | CPU s |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for kind in args.cases.split(","):
        r = run_case("postgresql" if kind == "pg" else kind, args)
        rows.append(
            f"| {r['kind']} | {r['orders']:,} | {r['routed']:,} | {r['split']:,} | {r['unfillable']:,} "
            f"| {r['batch']} | {r['seconds']:.1f} | {r['per_s']:,.0f} | {r['routed_per_s']:,.0f} "
            f"| {r['cpu']:.1f} |"
        )
        print(rows[-1], flush=True)
    table = "\n".join(rows)
    print()
    print(table)
    if args.record:
        append_run(
            section=SECTION,
            intro=INTRO,
            title=(
                f"{args.orders:,} orders, {args.locations} locations, {args.skus} SKUs"
                f"{', splits allowed' if args.split else ''}"
            ),
            table=table,
            load_before=load_before,
            threads="one worker thread",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
