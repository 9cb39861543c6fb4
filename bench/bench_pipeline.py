"""Pipeline throughput and latency: orders from POST to `processing` through `warpware worker` processes.

    .venv/bin/python bench/bench_pipeline.py [--orders 2000] [--paced-orders 600] [--rate 20]
        [--concurrency 8] [--latency-ms 10] [--cases pg:1,pg:4,sqlite:1[:500]] [--case-timeout 300]
        [--note TEXT] [--no-results]

The sandbox warehouse runs as its own process (`python -m warpware.sandbox`) answering every API call
after --latency-ms; each dispatch makes two calls (look the reference up, then create). Worker
processes (`python -m warpware.cli worker`) start first and wait; then, per case:

  burst   --orders orders through POST /orders/bulk (100 a request) as fast as the API takes them.
          orders/s = orders / (last processed_at - first created_at): POST to `processing`, end to end.
          Latency in a burst is mostly time spent queued behind the other orders.
  paced   --paced-orders orders through POST /orders one a request, on a fixed timetable of --rate
          orders/s (open loop). Latency = processed_at - created_at of each order: commit to dispatch
          (evaluation job, dispatch job, the two warehouse calls, and the waits between them).

A burst that has not drained after --case-timeout seconds is reported as it stands (how many orders
reached `processing`, at what rate) and its paced run is skipped.

The API runs in this process (the real app over an in-process ASGI client). CPU columns are seconds of
CPU used during the burst by the worker processes together, the sandbox, every postgres process on
the machine (other work included), and this process (the API), so a short row says where the time
went; "machine busy" is all cores over the burst.

Prints a table and appends it in Markdown under "## Pipeline" of bench/RESULTS.md (other sections are
left alone), with the machine, load average and the command line. Needs PostgreSQL at
WARPWARE_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test); a fresh
schema is created and dropped. Linux only (reads /proc for CPU figures).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

# Credentials are encrypted with this key by the API (this process) and decrypted by the workers.
os.environ["WARPWARE_SECRET_KEY"] = Fernet.generate_key().decode()

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from warpware.accounts.service import create_api_key  # noqa: E402
from warpware.app import create_app  # noqa: E402
from warpware.config import Settings  # noqa: E402
from warpware.db import Database  # noqa: E402
from warpware.orders.models import Order  # noqa: E402
from warpware.schema import create_schema  # noqa: E402
from warpware.worker.models import jobs_table  # noqa: E402

POSTGRES_URL = os.environ.get(
    "WARPWARE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Pipeline"
TARGET_PER_S = 300.0  # dispatches/s to a 10 ms warehouse with 4 workers
TARGET_P99_MS = 500.0  # commit to dispatch
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Row:
    database: str
    processes: int
    threads: int
    orders: int
    per_s: float
    wall_s: float
    burst_p50_ms: float
    burst_p99_ms: float
    paced_rate: float
    paced_orders: int
    paced_p50_ms: float
    paced_p99_ms: float
    paced_max_ms: float
    cpu: dict[str, float]
    processed: int  # burst orders that reached processing (< orders: the case ran out of time)


# --- processes ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pids: list[int], *, with_children: bool = False) -> float:
    """CPU seconds the processes used so far; with_children adds their reaped children's (a postmaster's
    exited backends)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if with_children:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / CLOCK_TICKS


def _postgres_cpu() -> float:
    """Every postgres process on the machine, backends that already exited included."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return _cpu_seconds(pids, with_children=True)


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / CLOCK_TICKS, sum(ticks) / CLOCK_TICKS


def _cpu_snapshot(worker_pids: list[int], sandbox_pid: int) -> dict[str, float]:
    busy, total = _machine_cpu()
    return {
        "workers": _cpu_seconds(worker_pids),
        "sandbox": _cpu_seconds([sandbox_pid]),
        "postgres": _postgres_cpu(),
        "api": time.process_time(),
        "busy": busy,
        "total": total,
    }


def start_sandbox(latency_ms: int, logs: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    with (logs / "sandbox.log").open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "warpware.sandbox",
                "--port",
                str(port),
                "--latency-ms",
                str(latency_ms),
                "--ship-delay",
                "86400",
                "--log-level",
                "warning",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/_sandbox/stats", timeout=1).raise_for_status()
            return process, url
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start; see {logs / 'sandbox.log'}") from None
            time.sleep(0.05)


def start_workers(
    database: Database, count: int, concurrency: int, logs: Path
) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "WARPWARE_DATABASE_URL": database.url, "WARPWARE_TRACKING_POLL_SECONDS": "86400"}
    processes = []
    paths = []
    for n in range(count):
        path = logs / f"worker-{database.dialect}-{count}-{n}.log"
        paths.append(path)
        with path.open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "warpware.cli", "worker", "--concurrency", str(concurrency)],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    deadline = time.monotonic() + 60
    while not all(" ready " in path.read_text(errors="replace") for path in paths):
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers did not start; see {logs}")
        time.sleep(0.05)
    return processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- one case ----------------------------------------------------------------------------------------


def _order(external_id: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "line_items": [{"sku": "WIDGET-RED-LG", "quantity": 2, "price": 29.99}],
        "shipping_address": {
            "name": "Jane Smith",
            "address1": "123 Main St",
            "city": "New York",
            "state": "NY",
            "zip": "10001",
        },
        "customer_email": "jane@example.com",
    }


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _wait_processed(database: Database, account_id: uuid.UUID, count: int, timeout: float) -> int:
    """Wait until `count` orders of the account are processing, or `timeout`; returns how many are."""
    deadline = time.monotonic() + timeout
    while True:
        with database.reading() as session:
            done = int(
                session.scalar(
                    sa.select(sa.func.count()).where(
                        Order.account_id == account_id, Order.status == "processing"
                    )
                )
                or 0
            )
        if done == count or time.monotonic() > deadline:
            return done
        time.sleep(0.02)


def _latencies(database: Database, account_id: uuid.UUID, tag: str) -> tuple[list[float], float]:
    """Per-order created_at → processed_at in ms, and the span first created → last processed in s."""
    with database.reading() as session:
        rows = session.execute(
            sa.select(Order.created_at, Order.processed_at).where(
                Order.account_id == account_id,
                Order.external_id.like(f"{tag}-%"),
                Order.processed_at.is_not(None),
            )
        ).all()
    latencies = [(row.processed_at - row.created_at).total_seconds() * 1000 for row in rows]
    if not rows:
        return latencies, math.nan
    span = (max(r.processed_at for r in rows) - min(r.created_at for r in rows)).total_seconds()
    return latencies, span


def run_case(
    database: Database,
    label: str,
    processes: int,
    orders: int,
    args: argparse.Namespace,
    sandbox_url: str,
    sandbox_pid: int,
    logs: Path,
) -> Row:
    with database.writing() as session:
        session.execute(sa.delete(jobs_table))
    sandbox = httpx.Client(base_url=sandbox_url, timeout=30)
    sandbox.post("/_sandbox/reset").raise_for_status()
    sandbox.put("/_sandbox/faults", json={"latency_ms": args.latency_ms}).raise_for_status()
    settings = Settings(
        database_url=database.url,
        rate_limit_backend="memory",
        rate_limit_per_minute=10**9,
        embedded_worker=False,
    )
    account = f"bench-{uuid.uuid4().hex[:8]}"
    with database.writing() as session:
        created = create_api_key(
            session, account_slug=account, sub_client_slug="main", name="bench", scopes="read,write"
        )
        key, account_id = created.key, created.integration.account_id
    workers = start_workers(database, processes, args.concurrency, logs)
    try:
        with TestClient(create_app(settings, database=database)) as client:
            client.headers["Authorization"] = f"Bearer {key}"
            client.post(
                "/partner/v1/connections",
                json={
                    "name": "Sandbox",
                    "type": "sandbox",
                    "settings": {"base_url": sandbox_url},
                    "is_default": True,
                },
            ).raise_for_status()

            # Burst: everything at once, as fast as the API takes it.
            worker_pids = [w.pid for w in workers]
            before = _cpu_snapshot(worker_pids, sandbox_pid)
            started = time.monotonic()
            for start in range(0, orders, 100):
                batch = [_order(f"burst-{n}") for n in range(start, min(start + 100, orders))]
                response = client.post("/partner/v1/orders/bulk", json={"orders": batch})
                assert response.json()["meta"]["created"] == len(batch), response.text
            processed = _wait_processed(database, account_id, orders, timeout=args.case_timeout)
            wall = time.monotonic() - started
            after = _cpu_snapshot(worker_pids, sandbox_pid)
            cpu = {name: after[name] - before[name] for name in before}
            burst, span = _latencies(database, account_id, "burst")
            if processed < orders:
                # Reported as it stands: how far the burst got, at what rate.
                return Row(
                    label,
                    processes,
                    args.concurrency,
                    orders,
                    processed / wall,
                    wall,
                    _percentile(burst, 0.5),
                    _percentile(burst, 0.99),
                    args.rate,
                    0,
                    math.nan,
                    math.nan,
                    math.nan,
                    cpu,
                    processed,
                )

            # Paced: one order at a time on a fixed timetable (open loop).
            interval = 1.0 / args.rate
            t0 = time.monotonic()
            for n in range(args.paced_orders):
                delay = t0 + n * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                client.post("/partner/v1/orders", json=_order(f"paced-{n}")).raise_for_status()
            _wait_processed(database, account_id, orders + args.paced_orders, timeout=args.case_timeout)
            paced, _ = _latencies(database, account_id, "paced")
    finally:
        stop(workers)
        sandbox.close()
    remote = httpx.get(f"{sandbox_url}/_sandbox/stats", timeout=30).json()
    if remote["orders"] != orders + args.paced_orders or len(paced) != args.paced_orders:
        raise RuntimeError(
            f"the sandbox holds {remote['orders']} orders, expected {orders + args.paced_orders}"
        )
    return Row(
        label,
        processes,
        args.concurrency,
        orders,
        orders / span,
        wall,
        _percentile(burst, 0.5),
        _percentile(burst, 0.99),
        args.rate,
        args.paced_orders,
        _percentile(paced, 0.5),
        _percentile(paced, 0.99),
        max(paced),
        cpu,
        orders,
    )


# --- report ------------------------------------------------------------------------------------------

HEADER = (
    "| database | procs × threads | burst | orders/s | burst p50 / p99 ms | paced | "
    "paced p50 / p99 / max ms | burst CPU s: workers / sandbox / pg / api | "
    "worker CPU ms/order | machine busy |"
)


def _ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.0f}"


def _markdown_row(row: Row) -> str:
    cpu = row.cpu
    busy = 100 * cpu["busy"] / cpu["total"] if cpu["total"] else 0.0
    burst = f"{row.orders:,}"
    if row.processed < row.orders:
        burst = f"{row.orders:,}: only {row.processed:,} done in {row.wall_s:.0f} s"
    paced = f"{row.paced_orders} @ {row.paced_rate:g}/s" if row.paced_orders else "not run"
    return (
        f"| {row.database} | {row.processes} × {row.threads} | {burst} | {row.per_s:,.0f} | "
        f"{_ms(row.burst_p50_ms)} / {_ms(row.burst_p99_ms)} | {paced} | "
        f"{_ms(row.paced_p50_ms)} / {_ms(row.paced_p99_ms)} / {_ms(row.paced_max_ms)} | "
        f"{cpu['workers']:.1f} / {cpu['sandbox']:.1f} / {cpu['postgres']:.1f} / {cpu['api']:.1f} | "
        f"{1000 * cpu['workers'] / max(row.processed, 1):.0f} | {busy:.0f}% of {os.cpu_count()} cores |"
    )


def _verdicts(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        if row.database == "postgresql" and row.processes == 4:
            lines.append(
                f"- ≥ {TARGET_PER_S:.0f} dispatches/s to a 10 ms warehouse with 4 workers: "
                f"{row.per_s:,.0f}/s — {'met' if row.per_s >= TARGET_PER_S else 'NOT met'}"
            )
    for row in rows:
        if not row.paced_orders:
            continue
        lines.append(
            f"- commit-to-dispatch p99 ≤ {TARGET_P99_MS:.0f} ms ({row.database}, {row.processes} "
            f"worker(s), paced {row.paced_rate:g}/s): {row.paced_p99_ms:,.0f} ms — "
            f"{'met' if row.paced_p99_ms <= TARGET_P99_MS else 'NOT met'}"
        )
    return lines


def _machine() -> str:
    memory = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.strip()
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return (
        f"`nproc` {os.cpu_count()}, `uname -m` {platform.machine()}, Python {platform.python_version()}, "
        f"load average before the run {load}; `free -g`:\n\n```\n{memory}\n```"
    )


def report(rows: list[Row], args: argparse.Namespace, machine: str, started: dt.datetime) -> str:
    argv = sys.argv[1:]
    if "--note" in argv:  # the note is printed under the table, not in the command
        at = argv.index("--note")
        argv = [*argv[:at], "--note", "…", *argv[at + 2 :]]
    command = shlex.join([".venv/bin/python", "bench/bench_pipeline.py", *argv])
    load_after = " ".join(f"{v:.2f}" for v in os.getloadavg())
    table = f"{HEADER}\n|{'---|' * (HEADER.count(' | ') + 1)}\n" + "\n".join(_markdown_row(r) for r in rows)
    return (
        f"\n### {started:%Y-%m-%d %H:%M} UTC — warehouse latency {args.latency_ms} ms\n\n"
        f"Command: `{command}`\n\n{machine}\n\n{table}\n\n"
        f"Load average after the run: {load_after}. orders/s: burst orders over first created_at → last "
        "processed_at. Latencies: created_at → processed_at of each order (commit to dispatch). CPU: seconds "
        "used during the burst (pg: every postgres process on the machine).\n\n"
        + (f"{args.note}\n\n" if args.note else "")
        + "Targets:\n\n"
        + "\n".join(_verdicts(rows))
        + "\n"
    )


def append_results(text: str, path: Path) -> None:
    """Adds `text` at the end of the "## Pipeline" section (other sections may come before or after)."""
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    lines = current.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        path.write_text(
            current.rstrip("\n") + f"\n\n{SECTION}\n\nWritten by bench/bench_pipeline.py.\n" + text
        )
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    before, after = "".join(lines[:end]).rstrip("\n") + "\n", "".join(lines[end:])
    path.write_text(before + text + ("\n" + after if after else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders in the burst")
    parser.add_argument("--paced-orders", type=int, default=600)
    parser.add_argument("--rate", type=float, default=20.0, help="orders/s of the paced run")
    parser.add_argument("--concurrency", type=int, default=8, help="threads per worker process")
    parser.add_argument("--latency-ms", type=int, default=10, help="the sandbox's latency per API call")
    parser.add_argument(
        "--cases",
        default="pg:1,pg:4,sqlite:1",
        help="database:processes[:burst orders], comma separated (default burst: --orders)",
    )
    parser.add_argument("--case-timeout", type=float, default=300.0, help="seconds a burst may take")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--note", default="", help="a paragraph to add under the table in RESULTS.md")
    parser.add_argument("--no-results", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()

    started = dt.datetime.now(dt.UTC)
    machine = _machine()
    schema = f"ww_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    logs = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    sandbox, sandbox_url = start_sandbox(args.latency_ms, logs)
    databases: dict[str, Database] = {}
    rows: list[Row] = []
    try:
        sep = "&" if "?" in POSTGRES_URL else "?"
        databases["pg"] = Database(f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}")
        databases["sqlite"] = Database(f"sqlite:///{logs}/bench.db")
        for database in databases.values():
            create_schema(database)
        print(f"logs: {logs}", file=sys.stderr)
        print(HEADER)
        for case in args.cases.split(","):
            name, count, *size = case.split(":")
            database = databases[name]
            orders = int(size[0]) if size else args.orders
            row = run_case(
                database, database.dialect, int(count), orders, args, sandbox_url, sandbox.pid, logs
            )
            rows.append(row)
            print(_markdown_row(row), flush=True)
    finally:
        stop([sandbox])
        for database in databases.values():
            database.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    print("\n".join(_verdicts(rows)))
    if not args.no_results:
        append_results(report(rows, args, machine, started), args.results)


if __name__ == "__main__":
    main()
