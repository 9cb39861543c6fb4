"""Partner API under load: a real `warpware serve` on a fresh database, driven over HTTP.

    .venv/bin/python bench/bench_api.py --database sqlite|postgresql [--orders 100000] [--duration 20]
        [--concurrency 32] [--rate 1000] [--workers 1[,2]] [--skip-seed]

Cases, in this order, each against the same database:

  bulk       POST /orders/bulk, 100 orders a request, --bulk-concurrency clients, until --orders
             orders are stored (this is also how the database is seeded for the GET cases)
  post       POST /orders, one order a request, --concurrency clients for --duration seconds
  get        GET /orders/{id} over random stored ids, --concurrency clients for --duration (closed
             loop: each client sends its next request when the last one is answered → the ceiling)
  get@rate   GET /orders/{id} on a fixed timetable of --rate requests/s (open loop). Latency runs
             from each request's scheduled send time, so a server (or client) that falls behind
             pays for the whole queue, as a real caller would.

--workers takes a list ("1,2"): the database is seeded once, with the first count, and the post and
get cases run again for every count, restarting the server in between. --skip-seed leaves out the bulk
case; the get cases then read the orders the post case made.

The load comes from --client-processes OS processes (multiprocessing, spawn), each running threads
with one keep-alive httpx connection apiece (see Connection for why not httpx.AsyncClient). Every
row reports the CPU each side used over the measured window, in % of one core: "client" is the
busiest client process (near 100% means the client, not the server, set the pace), "server" the
`warpware serve` process tree, "pg" every postgres process on the machine (other work included), and
"busy" the whole machine (200% = both cores of a 2-core box).

The table is printed and appended, in Markdown, to bench/RESULTS.md under "## Partner API" with the
machine, the load average, the command line and the targets. Needs PostgreSQL at
WARPWARE_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test) for
--database postgresql; a fresh schema is created and dropped afterwards (--keep-db keeps it).
Linux only (reads /proc for CPU figures).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import multiprocessing
import os
import platform
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Partner API"
POSTGRES_URL = os.environ.get(
    "WARPWARE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
API = "/partner/v1"
BULK_SIZE = 100
CLK_TCK = os.sysconf("SC_CLK_TCK")

TARGET_BULK = 5000.0  # orders/s, any database
TARGET_POST_SQLITE = 600.0  # req/s
TARGET_GET_P99_MS = 25.0  # at 1,000 req/s with 1,000,000 orders stored
TARGET_GET_RATE = 1000.0
TARGET_GET_ORDERS = 1_000_000


# ---------------------------------------------------------------------------------------------------
# Request bodies


def order_body(external_id: str, n: int) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "line_items": [
            {"sku": "WIDGET", "quantity": 1 + n % 3, "price": 29.99},
            {"sku": f"GADGET-{n % 50:02d}", "quantity": 1, "price": 4.5},
        ],
        "shipping_address": {
            "name": f"Customer {n}",
            "address1": f"{n % 9999 + 1} Main St",
            "city": "New York",
            "state": "NY",
            "zip": "10001",
        },
    }


def bulk_body(tag: str, batch: int, size: int) -> bytes:
    first = batch * BULK_SIZE
    orders = [order_body(f"B-{tag}-{first + k}", first + k) for k in range(size)]
    return json.dumps({"orders": orders}, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------------------------------
# The client processes. Each runs its share of one case with threads, one keep-alive connection per
# thread, and returns raw numbers to the parent.


class Connection:
    """One keep-alive HTTP/1.1 connection. It drives httpx's transport without the Client layer on top
    (cookies, redirects, auth and event hooks, a pool shared by all threads). Measured on a 2-core box
    against a trivial server at 16 concurrent requests: ~0.33 ms of client CPU per request, against
    ~0.46 ms with one httpx.Client per thread and ~1.5 ms with one shared httpx.AsyncClient."""

    TIMEOUT = {"connect": 60.0, "read": 60.0, "write": 60.0, "pool": 60.0}

    def __init__(self, base_url: str, key: str) -> None:
        self._transport = httpx.HTTPTransport(retries=0)
        self._base = httpx.URL(base_url)
        self._headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        request = httpx.Request(
            method,
            self._base.join(path),
            headers=self._headers,
            content=body,
            extensions={"timeout": self.TIMEOUT},
        )
        response = self._transport.handle_request(request)
        try:
            return response.status_code, response.read()
        finally:
            response.close()

    def close(self) -> None:
        self._transport.close()


@dataclass
class PartResult:
    latencies: list[float] = field(default_factory=list)  # seconds, measured requests only
    ok: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    created: int = 0  # orders stored (bulk, post)
    ids: list[str] = field(default_factory=list)  # a sample of stored order ids
    dropped: int = 0  # open loop: slots given up on, never sent (also counted in errors)
    waited: list[float] = field(default_factory=list)  # open loop: actual send - scheduled send
    cpu: float = 0.0  # this process's CPU seconds over the measured window
    wall: float = 0.0  # the measured window's length
    ended_at: float = 0.0  # wall clock when the last measured request finished

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 3:
            self.error_samples.append(what[:300])

    def merge(self, other: PartResult) -> None:
        self.latencies += other.latencies
        self.ok += other.ok
        self.created += other.created
        self.ids += other.ids
        self.dropped += other.dropped
        self.waited += other.waited
        self.ended_at = max(self.ended_at, other.ended_at)
        for sample in other.error_samples:
            self.error(sample)
        self.errors += other.errors - len(other.error_samples)


def run_part(spec: dict[str, Any]) -> dict[str, Any]:
    """Entry point in a client process: one share of one case, on spec["threads"] threads."""
    work = {"bulk": _bulk, "post": _post, "get": _get_closed, "get@rate": _get_open}[spec["case"]]
    thread_results = [PartResult() for _ in range(spec["threads"])]
    connections = [Connection(spec["base_url"], spec["key"]) for _ in range(spec["threads"])]
    # What the threads of this process share: the clock, and counters handed out under a lock.
    state: dict[str, Any] = {"lock": threading.Lock(), "next": itertools.count()}
    threads = [
        threading.Thread(target=work, args=(spec, state, connections[i], thread_results[i]), daemon=True)
        for i in range(spec["threads"])
    ]
    _sleep_until_wall(spec["start_at"])
    measure_from = time.monotonic() + spec.get("warmup", 0.0)
    state["measure_from"] = measure_from
    state["stop_at"] = measure_from + spec.get("duration", 0.0)
    for thread in threads:
        thread.start()
    # The CPU window: from the end of the warm-up to the end of the measured time (bulk: to the end).
    time.sleep(max(0.0, measure_from - time.monotonic()))
    cpu0, t0 = time.process_time(), time.monotonic()
    if spec["case"] != "bulk":
        time.sleep(max(0.0, state["stop_at"] - time.monotonic()))
        cpu, wall = time.process_time() - cpu0, time.monotonic() - t0
    for thread in threads:
        thread.join()
    if spec["case"] == "bulk":
        cpu, wall = time.process_time() - cpu0, time.monotonic() - t0
    for connection in connections:
        connection.close()
    result = PartResult(cpu=cpu, wall=wall)
    for part in thread_results:
        result.merge(part)
    return result.__dict__


def _sleep_until_wall(at: float) -> None:
    time.sleep(max(0.0, at - time.time()))


def _call(conn: Connection, res: PartResult, method: str, path: str, body: bytes | None = None) -> Any:
    """One request: its status and body, or None after recording the error."""
    try:
        return conn.request(method, path, body)
    except httpx.HTTPError as exc:
        res.error(f"{type(exc).__name__}: {exc}")
        return None


def _bulk(spec: dict[str, Any], state: dict[str, Any], conn: Connection, res: PartResult) -> None:
    rng = random.Random()
    orders, tag, keep = spec["orders"], spec["tag"], spec["id_keep_fraction"]
    progress_every = max(1, spec["batches"] // 10)
    while True:
        with state["lock"]:
            batch = spec["part"] + next(state["next"]) * spec["parts"]
        if batch >= spec["batches"]:
            return
        body = bulk_body(tag, batch, min(BULK_SIZE, orders - batch * BULK_SIZE))
        started = time.monotonic()
        answer = _call(conn, res, "POST", f"{API}/orders/bulk", body)
        if answer is None:
            continue
        res.latencies.append(time.monotonic() - started)
        res.ended_at = time.time()
        status, data = answer
        if status != 207:
            res.error(f"{status} {data[:200]!r}")
            continue
        payload = json.loads(data)
        res.ok += 1
        res.created += payload["meta"]["created"]
        if payload["meta"]["created"] != len(payload["data"]):
            res.error(f"207 with meta {payload['meta']}")
        res.ids += [item["id"] for item in payload["data"] if "id" in item and rng.random() < keep]
        if spec["part"] == 0 and batch % progress_every < spec["parts"]:
            print(f"  bulk: batch {batch:,} of {spec['batches']:,} sent", file=sys.stderr, flush=True)


def _closed_loop(state: dict[str, Any], res: PartResult, send: Any) -> None:
    """Sends the next request as soon as the last one is answered, until the measured time is up."""
    measure_from, stop_at = state["measure_from"], state["stop_at"]
    while True:
        started = time.monotonic()
        if started >= stop_at:
            return
        failure = send()
        if started >= measure_from:
            res.latencies.append(time.monotonic() - started)
            if failure is None:
                res.ok += 1
            else:
                res.error(failure)


def _post(spec: dict[str, Any], state: dict[str, Any], conn: Connection, res: PartResult) -> None:
    tag, part = spec["tag"], spec["part"]

    def send() -> str | None:
        with state["lock"]:
            n = next(state["next"])
        body = json.dumps(order_body(f"S-{tag}-{part}-{n}", n), separators=(",", ":")).encode()
        try:
            status, data = conn.request("POST", f"{API}/orders", body)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if status != 201:
            return f"{status} {data[:200]!r}"
        res.created += 1
        res.ids.append(json.loads(data)["data"]["id"])
        return None

    _closed_loop(state, res, send)


def _get_closed(spec: dict[str, Any], state: dict[str, Any], conn: Connection, res: PartResult) -> None:
    ids, rng = spec["ids"], random.Random()

    def send() -> str | None:
        try:
            status, data = conn.request("GET", f"{API}/orders/{rng.choice(ids)}")
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if status == 200 else f"{status} {data[:200]!r}"

    _closed_loop(state, res, send)


def _get_open(spec: dict[str, Any], state: dict[str, Any], conn: Connection, res: PartResult) -> None:
    """A fixed timetable of `rate` requests/s: this process owns slots part, part + parts, ... of it.
    A thread takes the next slot, sleeps until its time and sends; when every thread is still waiting
    for an answer the slot waits too. Latency runs from the slot's scheduled time, so that waiting,
    and any lag of the client itself, is counted (no coordinated omission)."""
    ids, rng = spec["ids"], random.Random()
    interval = spec["parts"] / spec["rate"]
    first = state["measure_from"] - spec["warmup"] + spec["part"] / spec["rate"]
    measure_from, stop_at, max_wait = state["measure_from"], state["stop_at"], spec["max_wait"]
    while True:
        with state["lock"]:
            scheduled = first + next(state["next"]) * interval
        if scheduled >= stop_at:
            return
        delay = scheduled - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        measured = scheduled >= measure_from
        sent = time.monotonic()
        if sent - scheduled > max_wait:  # hopelessly behind: give up on this slot, count it
            if measured:
                res.dropped += 1
                res.error(f"not sent: {max_wait:g} s behind the schedule")
            continue
        try:
            status, data = conn.request("GET", f"{API}/orders/{rng.choice(ids)}")
            failure = None if status == 200 else f"{status} {data[:200]!r}"
        except httpx.HTTPError as exc:
            failure = f"{type(exc).__name__}: {exc}"
        if measured:
            res.latencies.append(time.monotonic() - scheduled)
            res.waited.append(sent - scheduled)
            res.ended_at = time.time()
            if failure is None:
                res.ok += 1
            else:
                res.error(failure)


# ---------------------------------------------------------------------------------------------------
# The parent: database, server, CPU accounting, cases, table.


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds so far) for every process we can see."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
        table[int(entry.name)] = (int(fields[1]), name, cpu)
    return table


def _tree(root: int, table: dict[int, tuple[int, str, float]]) -> list[int]:
    found, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _, _) in table.items() if ppid == parent]
        found += children
        frontier += children
    return found


@dataclass
class CpuSample:
    """CPU seconds per process of the server tree and of postgres, and the machine's busy seconds."""

    at: float
    server: dict[int, float]
    postgres: dict[int, float]
    machine_busy: float

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        # Per process, so that one that exits in between (a postgres backend) does not count
        # negative; one that starts in between counts from zero.
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _machine_busy() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLK_TCK


def cpu_sample(server_pid: int) -> CpuSample:
    table = _processes()
    server = {pid: table[pid][2] for pid in _tree(server_pid, table) if pid in table}
    postgres = {pid: cpu for pid, (_, name, cpu) in table.items() if name == "postgres"}
    return CpuSample(time.monotonic(), server, postgres, _machine_busy())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _warpware() -> str:
    local = Path(sys.executable).with_name("warpware")
    return str(local) if local.exists() else (shutil.which("warpware") or "warpware")


def _psql(url: str, sql: str) -> str:
    """Runs one statement with the project's own driver (the bench itself imports only httpx) and
    returns the first column of its first row, if it has one."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    code = (
        "import psycopg, sys\n"
        "with psycopg.connect(sys.argv[1], autocommit=True) as c:\n"
        "    cur = c.execute(sys.argv[2])\n"
        "    row = cur.fetchone() if cur.description else None\n"
        "    print('' if row is None else row[0])"
    )
    done = subprocess.run([sys.executable, "-c", code, dsn, sql], check=True, capture_output=True, text=True)
    return done.stdout.strip()


class Analyzer:
    """Stands in for autovacuum's autoanalyze when the server has autovacuum off (as test servers
    often do): without statistics the planner takes a never-analysed orders table for a few hundred
    rows and answers the bulk dedup lookup (account_id = … AND dedup_key IN (…)) by reading every
    order of the account through an account index, so each bulk request gets slower as the table
    grows. It runs ANALYZE on the bench schema every `every` seconds while it is started."""

    def __init__(self, url: str, schema: str, every: float) -> None:
        tables = _psql(
            url,
            f"SELECT string_agg(quote_ident(tablename), ',') FROM pg_tables WHERE schemaname = '{schema}'",
        )
        self._sql = "ANALYZE " + ", ".join(f'"{schema}".{table}' for table in tables.split(","))
        self._url, self._every = url, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def analyze(self) -> None:
        _psql(self._url, self._sql)
        self.runs += 1

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.analyze()  # once more with everything in, before the reads

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            self.analyze()


class Server:
    """`warpware serve` as a subprocess, logging to a file in the work directory."""

    def __init__(self, env: dict[str, str], workdir: Path, workers: int) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"server-{workers}w-{self.port}.log"
        self.workers = workers
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [_warpware(), "serve", "--port", str(self.port), "--workers", str(workers)],
                env=env,
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, key: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {key}"}) as client:
            ready = 0
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                try:
                    # Every worker process must answer: ask a few times in a row.
                    ready = ready + 1 if client.get(f"{API}/version").status_code == 200 else 0
                    if ready >= 4 * self.workers:
                        return
                except httpx.HTTPError:
                    ready = 0
                time.sleep(0.1)
        tail = self.log_path.read_text()[-3000:]
        self.stop()
        raise RuntimeError(f"server did not start; its log ends with:\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Row:
    case: str
    database: str
    server_processes: int
    requests: int
    throughput: float
    unit: str
    p50_ms: float
    p99_ms: float
    errors: int
    client_cpu: float  # % of one core, busiest client process
    server_cpu: float  # % of one core, server process tree
    postgres_cpu: float | None
    machine_busy: float  # % of one core, whole machine
    load: str
    stored: int  # orders stored when the case ran
    note: str = ""


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


class Bench:
    def __init__(self, args: argparse.Namespace, pool: Any, workdir: Path) -> None:
        self.args = args
        self.pool = pool
        self.workdir = workdir
        self.tag = uuid.uuid4().hex[:8]
        self.rows: list[Row] = []
        self.ids: list[str] = []
        self.stored = 0
        self.parts = args.client_processes
        self.runs = 0
        self._profile_path = Path()
        self.analyzer: Analyzer | None = None

    def _split(self, total: int) -> list[int]:
        return [total // self.parts + (1 if p < total % self.parts else 0) for p in range(self.parts)]

    def _run(
        self, server: Server, specs: list[dict[str, Any]], window: tuple[float, float] | None
    ) -> tuple[list[dict[str, Any]], CpuSample, CpuSample]:
        """Runs one case part in each client process. `window` is (from, to) in seconds after the
        common start for the CPU sample; None means from the start to the end of the case."""
        start_at = time.time() + 1.0  # time for every process to be ready at the same instant
        for spec in specs:
            spec["start_at"] = start_at
        pending = self.pool.map_async(run_part, specs)
        time.sleep(max(0.0, start_at + (window[0] if window else 0.0) - time.time()))
        before = cpu_sample(server.process.pid)
        profiler = self._start_profiler(server, specs[0]["case"])
        if window is not None:
            time.sleep(max(0.0, start_at + window[1] - time.time()))
            after = cpu_sample(server.process.pid)
            self._stop_profiler(profiler)
            results = pending.get()
        else:
            results = pending.get()
            after = cpu_sample(server.process.pid)
            self._stop_profiler(profiler)
        return results, before, after

    def _start_profiler(self, server: Server, case: str) -> subprocess.Popen[bytes] | None:
        """py-spy on the server tree over the measured window (--profile): collapsed stacks, one
        file per case, for a flame graph or a quick sort by frame."""
        if self.args.profile is None:
            return None
        self.args.profile.mkdir(parents=True, exist_ok=True)
        name = f"{self.args.database}-{server.workers}w-{case.replace('@', '_at_')}-{self.runs}.txt"
        command = [self.args.py_spy, "record", "--pid", str(server.process.pid), "--subprocesses"]
        # --gil: only the thread holding the GIL, i.e. where the server's one core of Python goes.
        command += ["--gil", "--nonblocking", "--rate", "200", "--format", "raw"]
        command += ["--output", str(self.args.profile / name)]
        self._profile_path = self.args.profile / name
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _stop_profiler(self, profiler: subprocess.Popen[bytes] | None) -> None:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
            profiler.wait(timeout=60)
            if self._profile_path.exists():
                print(profile_summary(self._profile_path), file=sys.stderr)

    def _row(
        self,
        case: str,
        server: Server,
        results: list[dict[str, Any]],
        before: CpuSample,
        after: CpuSample,
        *,
        throughput: float,
        unit: str,
        requests: int,
        note: str = "",
    ) -> Row:
        latencies = [v for r in results for v in r["latencies"]]
        elapsed = after.at - before.at
        errors = sum(r["errors"] for r in results)
        for sample in {s for r in results for s in r["error_samples"]}:
            print(f"  error sample: {sample}", file=sys.stderr)
        row = Row(
            case=case,
            database=self.args.database,
            server_processes=server.workers,
            requests=requests,
            throughput=throughput,
            unit=unit,
            p50_ms=_percentile(latencies, 0.50) * 1000,
            p99_ms=_percentile(latencies, 0.99) * 1000,
            errors=errors,
            client_cpu=max(100 * r["cpu"] / r["wall"] if r["wall"] else 0.0 for r in results),
            server_cpu=100 * CpuSample.used(before.server, after.server) / elapsed,
            postgres_cpu=100 * CpuSample.used(before.postgres, after.postgres) / elapsed
            if self.args.database == "postgresql"
            else None,
            machine_busy=100 * (after.machine_busy - before.machine_busy) / elapsed,
            load=_load(),
            stored=self.stored,
            note=note,
        )
        self.rows.append(row)
        print(format_row(row), flush=True)
        return row

    def _base_spec(self, server: Server, key: str, case: str) -> dict[str, Any]:
        self.runs += 1  # part of every external_id, so that no two cases send the same one
        return {
            "case": case,
            "base_url": server.base_url,
            "key": key,
            "parts": self.parts,
            "tag": f"{self.tag}-{self.runs}",
        }

    def bulk(self, server: Server, key: str) -> None:
        orders = self.args.orders
        batches = (orders + BULK_SIZE - 1) // BULK_SIZE
        keep = min(1.0, self.args.id_sample / max(1, orders))
        specs = [
            {
                **self._base_spec(server, key, "bulk"),
                "part": p,
                "threads": threads,
                "batches": batches,
                "orders": orders,
                "id_keep_fraction": keep,
            }
            for p, threads in enumerate(self._split(self.args.bulk_concurrency))
        ]
        if self.analyzer is not None:
            self.analyzer.start()
        results, before, after = self._run(server, specs, None)
        analyzed = ""
        if self.analyzer is not None:
            self.analyzer.stop()
            analyzed = (
                f"; autovacuum is off on this server, so the bench ran ANALYZE every "
                f"{self.args.analyze_every:g} s ({self.analyzer.runs} times)"
            )
        created = sum(r["created"] for r in results)
        self.stored += created
        self.ids += [i for r in results for i in r["ids"]]
        seconds = max(r["ended_at"] for r in results) - specs[0]["start_at"]
        self._row(
            "bulk",
            server,
            results,
            before,
            after,
            throughput=created / seconds,
            unit="orders/s",
            requests=sum(len(r["latencies"]) for r in results),
            note=f"{created:,} orders in {seconds:.1f} s, {self.args.bulk_concurrency} clients{analyzed}",
        )

    def _timed(
        self, server: Server, key: str, case: str, extra: dict[str, Any], *, clients: int
    ) -> list[dict[str, Any]]:
        specs = [
            {
                **self._base_spec(server, key, case),
                "part": p,
                "threads": threads,
                "warmup": self.args.warmup,
                "duration": self.args.duration,
                **extra,
            }
            for p, threads in enumerate(self._split(clients))
        ]
        window = (self.args.warmup + 0.2, self.args.warmup + self.args.duration - 0.2)
        results, before, after = self._run(server, specs, window)
        return [*results, {"before": before, "after": after, "start_at": specs[0]["start_at"]}]

    def post(self, server: Server, key: str) -> None:
        *results, cpu = self._timed(server, key, "post", {}, clients=self.args.concurrency)
        created = sum(r["created"] for r in results)
        self.stored += created
        self.ids += [i for r in results for i in r["ids"]]
        ok = sum(r["ok"] for r in results)
        self._row(
            "post",
            server,
            results,
            cpu["before"],
            cpu["after"],
            throughput=ok / self.args.duration,
            unit="req/s",
            requests=ok + sum(r["errors"] for r in results),
            note=f"{self.args.concurrency} clients",
        )

    def _ids_or_fail(self) -> list[str]:
        if not self.ids:
            raise SystemExit("no stored order ids to GET: run the bulk or post case first")
        return self.ids

    def get_closed(self, server: Server, key: str) -> None:
        *results, cpu = self._timed(
            server, key, "get", {"ids": self._ids_or_fail()}, clients=self.args.concurrency
        )
        ok = sum(r["ok"] for r in results)
        self._row(
            "get",
            server,
            results,
            cpu["before"],
            cpu["after"],
            throughput=ok / self.args.duration,
            unit="req/s",
            requests=ok + sum(r["errors"] for r in results),
            note=f"{self.args.concurrency} clients, closed loop",
        )

    def get_open(self, server: Server, key: str) -> None:
        rate = self.args.rate
        *results, cpu = self._timed(
            server,
            key,
            "get@rate",
            {"ids": self._ids_or_fail(), "rate": rate, "max_wait": self.args.max_wait},
            clients=self.args.open_connections,
        )
        ok = sum(r["ok"] for r in results)
        # The measured slots span --duration seconds; when answers trail the schedule, the rate
        # achieved is what was answered over the time it took to answer it.
        schedule_end = cpu["start_at"] + self.args.warmup + self.args.duration
        trailing = max([r["ended_at"] for r in results if r["ended_at"]] + [schedule_end]) - schedule_end
        waited = [v for r in results for v in r["waited"]]
        dropped = sum(r["dropped"] for r in results)
        overload = (
            f"OVERLOADED: {dropped:,} slots fell more than {self.args.max_wait:g} s behind and were "
            "dropped (counted as errors), so p50/p99 are capped near that; "
            if dropped
            else ""
        )
        self._row(
            f"get@{rate:g}/s",
            server,
            results,
            cpu["before"],
            cpu["after"],
            throughput=ok / (self.args.duration + trailing),
            unit="req/s",
            requests=sum(len(r["latencies"]) for r in results) + dropped,
            note=(
                f"{overload}open loop, {rate:g} req/s scheduled over {self.args.open_connections} "
                "connections; "
                f"scheduled-to-sent wait p50 {_percentile(waited, 0.5) * 1000:.1f} ms, "
                f"p99 {_percentile(waited, 0.99) * 1000:.1f} ms; last answer "
                f"{trailing * 1000:.0f} ms after the schedule ended"
            ),
        )


def _frame(raw: str) -> tuple[str, str]:
    """("function", "file") of one py-spy frame, written "function (path/file.py:line)"."""
    function, _, where = raw.partition(" (")
    return function, where.rsplit(":", 1)[0]


def profile_summary(path: Path, top: int = 12) -> str:
    """Where the samples are, from py-spy's raw output: the warpware functions the most samples pass
    through (inclusive), and the self time of each library (the package of the innermost frame)."""
    samples = 0
    ours: dict[str, int] = {}
    packages: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or ";" not in stack:
            continue
        n = int(count)
        samples += n
        frames = [_frame(raw) for raw in stack.split(";")[1:]]
        for function, file in {f for f in frames if f[1].startswith("warpware/")}:
            key = f"{file}:{function}"
            ours[key] = ours.get(key, 0) + n
        package = frames[-1][1].split("/")[0].removesuffix(".py") if frames else "?"
        packages[package] = packages.get(package, 0) + n

    def share(n: int) -> str:
        return f"{100 * n / max(1, samples):5.1f}%"

    lines = [f"  profile {path.name}: {samples} samples (thread holding the GIL)", "  warpware, inclusive:"]
    lines += [f"    {share(n)}  {key}" for key, n in sorted(ours.items(), key=lambda kv: -kv[1])[:top]]
    lines += ["  self time by package:"]
    lines += [f"    {share(n)}  {key}" for key, n in sorted(packages.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(lines)


def format_header() -> str:
    return (
        f"{'case':<14} {'db':<10} {'srv':>3} {'requests':>9} {'throughput':>18} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6} {'client%':>7} {'server%':>7} {'pg%':>5} {'busy%':>5}  load"
    )


def format_row(row: Row) -> str:
    pg = f"{row.postgres_cpu:>5.0f}" if row.postgres_cpu is not None else f"{'-':>5}"
    return (
        f"{row.case:<14} {row.database:<10} {row.server_processes:>3} {row.requests:>9,} "
        f"{row.throughput:>9,.0f} {row.unit:<8} {row.p50_ms:>8.1f} {row.p99_ms:>8.1f} {row.errors:>6} "
        f"{row.client_cpu:>7.0f} {row.server_cpu:>7.0f} {pg} {row.machine_busy:>5.0f}  {row.load}"
    )


# ---------------------------------------------------------------------------------------------------
# Markdown


def _machine() -> str:
    memory = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.rstrip()
    return (
        f"`nproc` {os.cpu_count()}, `uname -m` {platform.machine()}, Python {platform.python_version()}; "
        f"`free -g`:\n\n```\n{memory}\n```"
    )


def _revision() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"], capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' + uncommitted changes under src/' if dirty else ''}"


def _verdicts(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        if row.case == "bulk":
            met = row.throughput >= TARGET_BULK
            lines.append(
                f"- bulk ingest ≥ {TARGET_BULK:,.0f} orders/s ({row.database}): "
                f"{row.throughput:,.0f} orders/s — **{'met' if met else 'not met'}**"
            )
        elif row.case == "post" and row.database == "sqlite":
            met = row.throughput >= TARGET_POST_SQLITE
            lines.append(
                f"- POST /orders ≥ {TARGET_POST_SQLITE:,.0f} req/s on SQLite ({row.server_processes} server "
                f"process(es)): {row.throughput:,.0f} req/s — **{'met' if met else 'not met'}**"
            )
        elif row.case.startswith("get@"):
            rate_ok = row.throughput >= 0.97 * TARGET_GET_RATE
            met = row.p99_ms <= TARGET_GET_P99_MS and rate_ok
            scale = (
                ""
                if row.stored >= TARGET_GET_ORDERS
                else f" (only {row.stored:,} orders stored; the target is stated for 1,000,000)"
            )
            lines.append(
                f"- GET /orders/{{id}} p99 ≤ {TARGET_GET_P99_MS:.0f} ms at {TARGET_GET_RATE:,.0f} req/s "
                f"({row.database}, {row.server_processes} server process(es)): p99 {row.p99_ms:.1f} ms at "
                f"{row.throughput:,.0f} req/s achieved — **{'met' if met else 'not met'}**{scale}"
            )
    return lines


def markdown(rows: list[Row], args: argparse.Namespace, load_before: str, started: dt.datetime) -> str:
    head = (
        "| case | db | server processes | requests | throughput | p50 ms | p99 ms | errors "
        "| client CPU % | server CPU % | postgres CPU % | machine busy % | load avg (1/5/15) |\n"
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n"
    )
    body = "".join(
        f"| {r.case} | {r.database} | {r.server_processes} | {r.requests:,} | {r.throughput:,.0f} {r.unit} "
        f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {r.client_cpu:.0f} | {r.server_cpu:.0f} "
        f"| {'' if r.postgres_cpu is None else f'{r.postgres_cpu:.0f}'} | {r.machine_busy:.0f} | {r.load} |\n"
        for r in rows
    )
    notes = "".join(f"- {r.case} ({r.server_processes} srv): {r.note}\n" for r in rows if r.note)
    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", "bench/bench_api.py", *sys.argv[1:]])
    return (
        f"\n### {started:%Y-%m-%d %H:%M} UTC — {args.database}, {args.orders:,} orders"
        f"{' (seed skipped)' if args.skip_seed else ''}\n\n"
        f"Command: `{command}`  \n"
        f"Code: {_revision()}  \n"
        f"Load average before the run: {load_before}; after: {_load()}  \n"
        f"Machine: {_machine()}\n\n"
        f"{head}{body}\n"
        "CPU columns are % of one core over the measured window: client = busiest client process "
        f"(of {args.client_processes}), server = the `warpware serve` process tree, postgres = every "
        "postgres process on the machine, machine busy = all cores (200 = both cores of 2).\n\n"
        f"{notes}\nTargets:\n\n" + "\n".join(_verdicts(rows)) + "\n"
    )


def append_results(text: str, path: Path) -> None:
    """Adds `text` at the end of the "## Partner API" section (other sections may follow it)."""
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    lines = current.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        path.write_text(current.rstrip("\n") + f"\n\n{SECTION}\n\nWritten by bench/bench_api.py.\n" + text)
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    before, after = "".join(lines[:end]).rstrip("\n") + "\n", "".join(lines[end:])
    path.write_text(before + text + ("\n" + after if after else ""))


# ---------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--orders", type=int, default=100_000, help="orders to store by bulk ingest")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per timed case")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each")
    parser.add_argument("--concurrency", type=int, default=32, help="clients for post and get")
    parser.add_argument("--bulk-concurrency", type=int, default=4, help="clients for bulk ingest")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests/s of the open-loop GET")
    parser.add_argument(
        "--workers", default="1", help="server processes; a list (1,2) repeats post and get per count"
    )
    parser.add_argument("--skip-seed", action="store_true", help="no bulk case; GET the posted orders")
    parser.add_argument(
        "--cases", default="bulk,post,get,get@rate", help="comma list of bulk, post, get, get@rate"
    )
    parser.add_argument("--client-processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--open-connections", type=int, default=64, help="connections (threads) for the open-loop GET"
    )
    parser.add_argument(
        "--max-wait", type=float, default=10.0, help="open loop: drop (and count) slots this far behind"
    )
    parser.add_argument("--id-sample", type=int, default=200_000, help="stored ids kept for the GETs")
    parser.add_argument(
        "--rate-limit-backend",
        default=None,
        help="sets WARPWARE_RATE_LIMIT_BACKEND for the server (default: the service's own, auto)",
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="record the server with py-spy into this directory"
    )
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy", help="py-spy binary")
    parser.add_argument(
        "--analyze-every",
        type=float,
        default=30.0,
        help="PostgreSQL with autovacuum off: ANALYZE the bench schema this often during bulk (0: never)",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the database and print its URL")
    parser.add_argument("--results", type=Path, default=RESULTS, help="Markdown file to append to")
    parser.add_argument("--no-results", action="store_true", help="print only")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    workers = [int(w) for w in str(args.workers).split(",")]
    cases = [c.strip() for c in args.cases.split(",")]
    if args.skip_seed:
        cases = [c for c in cases if c != "bulk"]
    started = dt.datetime.now(dt.UTC)
    load_before = _load()
    workdir = Path(tempfile.mkdtemp(prefix="ww_bench_api_"))
    schema = None
    if args.database == "sqlite":
        url = f"sqlite:///{workdir}/bench.db"
    else:
        schema = f"ww_bench_api_{uuid.uuid4().hex[:10]}"
        _psql(POSTGRES_URL, f'CREATE SCHEMA "{schema}"')
        url = f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}options=-csearch_path%3D{schema}"
    env = {
        **os.environ,
        "WARPWARE_DATABASE_URL": url,
        "WARPWARE_EMBEDDED_WORKER": "0",
        "WARPWARE_RATE_LIMIT_PER_MINUTE": "100000000",
        "WARPWARE_SECRET_KEY_FILE": str(workdir / "secret.key"),
    }
    if args.rate_limit_backend:
        env["WARPWARE_RATE_LIMIT_BACKEND"] = args.rate_limit_backend
    print(f"load average {load_before}; database {url}; work directory {workdir}", file=sys.stderr)
    context = multiprocessing.get_context("spawn")
    server: Server | None = None
    try:
        subprocess.run([_warpware(), "db", "upgrade"], env=env, cwd=workdir, check=True)
        key = subprocess.run(
            [
                _warpware(),
                "keys",
                "create",
                "--account",
                "bench",
                "--sub-client",
                "main",
                "--name",
                "bench",
                "--scopes",
                "read,write",
            ],
            env=env,
            cwd=workdir,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        with context.Pool(args.client_processes) as pool:
            bench = Bench(args, pool, workdir)
            if schema is not None and args.analyze_every > 0 and _psql(url, "SHOW autovacuum") == "off":
                bench.analyzer = Analyzer(url, schema, args.analyze_every)
            print(format_header(), flush=True)
            for index, count in enumerate(workers):
                server = Server(env, workdir, count)
                server.wait_ready(key)
                if index == 0 and "bulk" in cases:
                    bench.bulk(server, key)
                if "post" in cases:
                    bench.post(server, key)
                if "get" in cases:
                    bench.get_closed(server, key)
                if "get@rate" in cases:
                    bench.get_open(server, key)
                server.stop()
                server = None
        if not args.no_results:
            append_results(markdown(bench.rows, args, load_before, started), args.results)
            print(f"appended to {args.results}", file=sys.stderr)
    finally:
        if server is not None:
            server.stop()
        if args.keep_db:
            print(f"kept database: {url}", file=sys.stderr)
        else:
            if schema is not None:
                _psql(POSTGRES_URL, f'DROP SCHEMA "{schema}" CASCADE')
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
