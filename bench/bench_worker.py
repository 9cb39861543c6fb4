"""Worker throughput: N jobs through 1 and 4 worker processes on PostgreSQL, and 1 on SQLite.

    .venv/bin/python bench/bench_worker.py [--jobs 5000] [--http-jobs 2000] [--concurrency 8]

Workers start first and wait; the jobs are then enqueued in transactions of 500 and the clock runs
from the first enqueue to the last job done. Latency is enqueue-to-done per job (finished_at -
created_at), so with a burst it includes the time a job queued behind the others. The "http" rows
make every job GET a local server that answers after 10 ms. This file is also the handler module the
worker processes import (as `bench_worker`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from warpware.db import Database
from warpware.schema import create_schema
from warpware.worker import JobContext, enqueue, job_handler
from warpware.worker.models import jobs_table

POSTGRES_URL = os.environ.get(
    "WARPWARE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
HERE = Path(__file__).resolve().parent

_http = httpx.Client(timeout=5.0)


@job_handler("bench.noop")
def noop(payload: dict[str, Any], ctx: JobContext) -> None:
    """Does nothing: what is left is the queue's own cost (claim, run, mark done)."""


@job_handler("bench.http")
def http_call(payload: dict[str, Any], ctx: JobContext) -> None:
    _http.get(payload["url"]).raise_for_status()


class _SlowHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the handlers' client reuses its connections
    disable_nagle_algorithm = True  # headers and body go out as two writes; do not hold the second

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
        time.sleep(0.010)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def _start_workers(url: str, count: int, concurrency: int, logs: Path) -> list[subprocess.Popen[bytes]]:
    code = (
        "from warpware.worker import run_worker_process\n"
        f"run_worker_process({url!r}, {concurrency}, ['bench_worker'], poll_interval=0.2,"
        " job_names=['bench.noop', 'bench.http'])\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }
    processes = []
    for n in range(count):
        with (logs / f"worker-{n}.log").open("wb") as log:
            processes.append(
                subprocess.Popen([sys.executable, "-c", code], env=env, stdout=log, stderr=subprocess.STDOUT)
            )
    deadline = time.monotonic() + 30
    while not all(" ready " in (logs / f"worker-{n}.log").read_text() for n in range(count)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers did not start; see {logs}")
        time.sleep(0.05)
    return processes


def _stop_workers(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_case(
    database: Database, *, processes: int, concurrency: int, jobs: int, name: str, payload: dict[str, Any]
) -> dict[str, float]:
    with database.writing() as session:
        session.execute(sa.delete(jobs_table))
    with tempfile.TemporaryDirectory() as logs:
        workers = _start_workers(database.url, processes, concurrency, Path(logs))
        try:
            for start in range(0, jobs, 500):
                with database.writing() as session:
                    for _ in range(min(500, jobs - start)):
                        enqueue(session, name, payload)
            while True:
                with database.reading() as session:
                    left = session.execute(
                        sa.select(sa.func.count()).where(jobs_table.c.status != "done")
                    ).scalar_one()
                if not left:
                    break
                time.sleep(0.05)
        finally:
            _stop_workers(workers)
    with database.reading() as session:
        rows = session.execute(sa.select(jobs_table.c.created_at, jobs_table.c.finished_at)).all()
    first = min(row.created_at for row in rows)
    last = max(row.finished_at for row in rows)
    latencies = [(row.finished_at - row.created_at).total_seconds() * 1000 for row in rows]
    return {
        "jobs_per_s": len(rows) / (last - first).total_seconds(),
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--http-jobs", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    http_payload = {"url": f"http://127.0.0.1:{server.server_address[1]}/"}

    schema = f"ww_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    tmp = tempfile.TemporaryDirectory()
    try:
        pg = Database(f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}options=-csearch_path%3D{schema}")
        sqlite = Database(f"sqlite:///{tmp.name}/bench.db")
        for database in (pg, sqlite):
            create_schema(database)
        cases = [
            ("postgresql", pg, 1, "bench.noop", args.jobs, {}),
            ("postgresql", pg, 4, "bench.noop", args.jobs, {}),
            ("sqlite", sqlite, 1, "bench.noop", args.jobs, {}),
            ("postgresql", pg, 1, "bench.http", args.http_jobs, http_payload),
            ("postgresql", pg, 4, "bench.http", args.http_jobs, http_payload),
            ("sqlite", sqlite, 1, "bench.http", args.http_jobs, http_payload),
        ]
        print(
            f"{'database':<11} {'procs':>5} {'threads':>7} {'job':<6} {'jobs':>6} {'jobs/s':>8} "
            f"{'p50 ms':>8} {'p99 ms':>8}"
        )
        for label, database, processes, name, jobs, payload in cases:
            result = run_case(
                database,
                processes=processes,
                concurrency=args.concurrency,
                jobs=jobs,
                name=name,
                payload=payload,
            )
            print(
                f"{label:<11} {processes:>5} {args.concurrency:>7} {name.split('.')[1]:<6} {jobs:>6} "
                f"{result['jobs_per_s']:>8.0f} {result['p50_ms']:>8.0f} {result['p99_ms']:>8.0f}",
                flush=True,
            )
        for database in (pg, sqlite):
            database.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        tmp.cleanup()
        server.shutdown()


if __name__ == "__main__":
    main()
