"""GET /inventory and GET /products latency with 100,000 SKUs stored (and POST /inventory/adjust).

    .venv/bin/python bench/bench_inventory.py --database sqlite
    .venv/bin/python bench/bench_inventory.py --database postgresql [--skus 100000] [--concurrency 1,8]

It creates a fresh database (a temporary SQLite file, or a new PostgreSQL schema dropped at the end),
applies the migrations, makes an account-wide API key, and seeds --skus products with one stock level
each, spread over two warehouses (bulk inserts, not the API: the seed is not what is measured).
PostgreSQL gets an ANALYZE after the seed (the local test server runs without autovacuum). Then
`warpware serve` starts on a free port (no embedded worker, no rate limit in the way) and every case
runs closed-loop with each --concurrency count of client threads for --duration seconds after
--warmup seconds:

  inventory         GET /inventory (page 1 of 50, with the total over every level)
  inventory p1000   GET /inventory?page=1000 (offset 49,950)
  inventory cursor  GET /inventory?after=<cursor at a random depth>
  inventory sku     GET /inventory?sku=<random SKU>
  inventory status  GET /inventory?status=low_stock (status computed per row from the thresholds)
  inventory search  GET /inventory?search=<word> (substring of name or SKU)
  products ...      the same six on GET /products
  adjust            POST /inventory/adjust {sku: random, adjustment: +1}

The table is printed and appended to bench/RESULTS.md under "## Inventory" with the machine, the load
average and the command line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from warpware.accounts.service import create_api_key
from warpware.db import Database
from warpware.inventory.models import InventoryLevel, Location
from warpware.kit.pagination import encode_cursor
from warpware.products.models import Product
from warpware.schema import create_schema

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Inventory"
POSTGRES_URL = os.environ.get(
    "WARPWARE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
API = "/partner/v1"
WORDS = ["Red", "Blue", "Green", "Steel", "Oak", "Glass", "Cotton", "Wool", "Matte", "Gloss"]
NOUNS = ["Widget", "Gadget", "Mug", "Shirt", "Lamp", "Chair", "Cable", "Bottle", "Box", "Pen"]
SIZES = ["XS", "S", "M", "L", "XL"]


# --- the database ----------------------------------------------------------------------------------


@dataclass
class Seeded:
    url: str
    key: str
    skus: list[str]
    level_seqs: list[int]
    product_seqs: list[int]
    cleanup: Any


def _fresh_database(kind: str, workdir: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", lambda: None
    schema = f"ww_bench_inv_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}", drop


def seed(kind: str, skus: int, workdir: Path) -> Seeded:
    url, cleanup = _fresh_database(kind, workdir)
    database = Database(url)
    create_schema(database)
    with database.writing() as session:
        created = create_api_key(
            session, account_slug="bench-inventory", sub_client_slug=None, name="bench", scopes="read,write"
        )
        account_id, key = created.integration.account_id, created.key
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    locations = [uuid.uuid4(), uuid.uuid4()]
    started = time.monotonic()
    with database.writing() as session:
        session.execute(
            sa.insert(Location),
            [
                {
                    "id": loc,
                    "account_id": account_id,
                    "connection_id": None,
                    "name": f"DC {n + 1}",
                    "platform": "api",
                    "platform_location_id": None,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, loc in enumerate(locations)
            ],
        )
    sku_list: list[str] = []
    for start in range(0, skus, 5000):
        products, levels = [], []
        for i in range(start, min(skus, start + 5000)):
            product_id, sku = uuid.uuid4(), f"SKU-{i:07d}"
            name = f"{rng.choice(WORDS)} {rng.choice(NOUNS)} {rng.choice(SIZES)}"
            sku_list.append(sku)
            at = now - dt.timedelta(seconds=skus - i)
            products.append(
                {
                    "id": product_id,
                    "account_id": account_id,
                    "sub_client_id": None,
                    "scope_key": "-",
                    "sku": sku,
                    "name": name,
                    "description": None,
                    "price": Decimal(rng.randint(100, 99999)) / 100,
                    "platform": "api",
                    "low_stock_threshold": None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            on_hand = rng.randint(0, 200)
            levels.append(
                {
                    "account_id": account_id,
                    "sub_client_id": None,
                    "scope_key": "-",
                    "product_id": product_id,
                    "sku": sku,
                    "location_id": locations[i % 2],
                    "on_hand": on_hand,
                    "committed": rng.randint(0, min(on_hand, 10)),
                    "created_at": at,
                    "updated_at": at,
                }
            )
        with database.writing() as session:
            session.execute(sa.insert(Product), products)
            session.execute(sa.insert(InventoryLevel), levels)
    with database.reading() as session:
        level_seqs = list(session.scalars(sa.select(InventoryLevel.seq)))
        product_seqs = list(session.scalars(sa.select(Product.seq)))
    if kind == "postgresql":
        with database.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE products, inventory_levels, locations"))
    print(f"  seeded {skus:,} SKUs in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    database.dispose()
    return Seeded(url, key, sku_list, level_seqs, product_seqs, cleanup)


# --- the server ------------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "WARPWARE_DATABASE_URL": url,
        "WARPWARE_EMBEDDED_WORKER": "0",
        "WARPWARE_RATE_LIMIT_PER_MINUTE": "100000000",
        "WARPWARE_RATE_LIMIT_BACKEND": "memory",
        "WARPWARE_SECRET_KEY_FILE": str(workdir / "secret.key"),
    }
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "warpware.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(base + API + "/version", timeout=1)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start; see {workdir / 'server.log'}")


# --- the load --------------------------------------------------------------------------------------


@dataclass
class Result:
    case: str
    database: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_sample: str = ""
    seconds: float = 0.0


def _cases(seeded: Seeded) -> dict[str, Any]:
    """Each case: a function from a random generator to (method, path, json body)."""
    skus, levels, products = seeded.skus, seeded.level_seqs, seeded.product_seqs

    def listing(noun: str, seqs: list[int]) -> dict[str, Any]:
        return {
            f"{noun}": lambda r: ("GET", f"{API}/{noun}", None),
            f"{noun} p1000": lambda r: ("GET", f"{API}/{noun}?page=1000", None),
            f"{noun} cursor": lambda r: ("GET", f"{API}/{noun}?after={encode_cursor(r.choice(seqs))}", None),
            f"{noun} sku": lambda r: ("GET", f"{API}/{noun}?sku={r.choice(skus)}", None),
            f"{noun} search": lambda r: ("GET", f"{API}/{noun}?search={r.choice(NOUNS).lower()}", None),
        }

    cases = listing("inventory", levels)
    cases["inventory status"] = lambda r: ("GET", f"{API}/inventory?status=low_stock", None)
    cases.update(listing("products", products))
    cases["adjust"] = lambda r: ("POST", f"{API}/inventory/adjust", {"sku": r.choice(skus), "adjustment": 1})
    return cases


def run_case(
    base: str, key: str, database: str, name: str, make: Any, clients: int, warmup: float, duration: float
) -> Result:
    result = Result(name, database, clients)
    lock = threading.Lock()
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + duration

    def client(n: int) -> None:
        rng = random.Random(n)
        mine: list[float] = []
        errors, sample = 0, ""
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
            while (sent := time.monotonic()) < stop_at:
                method, path, body = make(rng)
                try:
                    response = http.request(method, path, json=body)
                    ok, text = response.status_code == 200, f"{response.status_code} {response.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, text = False, f"{type(exc).__name__}: {exc}"
                if sent >= measure_from:
                    mine.append(time.monotonic() - sent)
                    if not ok:
                        errors, sample = errors + 1, sample or text
        with lock:
            result.latencies += mine
            result.errors += errors
            result.error_sample = result.error_sample or sample

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = duration
    return result


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def format_table(results: list[Result]) -> str:
    lines = [
        "| case | db | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        lines.append(
            f"| {r.case} | {r.database} | {r.clients} | {len(r.latencies):,} | "
            f"{len(r.latencies) / r.seconds:,.0f} | {_percentile(r.latencies, 0.5) * 1000:.1f} | "
            f"{_percentile(r.latencies, 0.95) * 1000:.1f} | {_percentile(r.latencies, 0.99) * 1000:.1f} | "
            f"{r.errors} |"
        )
    return "\n".join(lines)


# --- results ---------------------------------------------------------------------------------------


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _machine() -> str:
    memory = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.rstrip()
    return (
        f"`nproc` {os.cpu_count()}, `uname -m` {platform.machine()}, Python {platform.python_version()}; "
        f"`free -g`:\n\n```\n{memory}\n```"
    )


def _revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()

    try:
        dirty = git("status", "--porcelain", "--", "src")
        return f"{git('rev-parse', '--short', 'HEAD')}{' + uncommitted changes under src/' if dirty else ''}"
    except OSError:
        return "unknown"


def append_results(text: str, path: Path) -> None:
    """Adds `text` at the end of the "## Inventory" section (other sections may follow it)."""
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    lines = current.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        path.write_text(
            current.rstrip("\n") + f"\n\n{SECTION}\n\nWritten by bench/bench_inventory.py.\n" + text
        )
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    before, after = "".join(lines[:end]).rstrip("\n") + "\n", "".join(lines[end:])
    path.write_text(before + text + ("\n" + after if after else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument(
        "--concurrency", default="1,8", help="client threads; a list runs every case per count"
    )
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per case")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each case")
    parser.add_argument("--cases", default="", help="comma list of case names (default: all)")
    parser.add_argument("--no-results", action="store_true", help="print only")
    args = parser.parse_args()
    load_before = _load()
    started_at = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="bench-inventory-") as folder:
        workdir = Path(folder)
        seeded = seed(args.database, args.skus, workdir)
        process, base = start_server(seeded.url, workdir)
        results: list[Result] = []
        try:
            cases = _cases(seeded)
            wanted = [c.strip() for c in args.cases.split(",") if c.strip()] or list(cases)
            for clients in (int(c) for c in args.concurrency.split(",")):
                for name in wanted:
                    result = run_case(
                        base,
                        seeded.key,
                        args.database,
                        name,
                        cases[name],
                        clients,
                        args.warmup,
                        args.duration,
                    )
                    results.append(result)
                    print(format_table([result]).splitlines()[-1], file=sys.stderr, flush=True)
                    if result.error_sample:
                        print(f"    e.g. {result.error_sample}", file=sys.stderr)
        finally:
            process.terminate()
            process.wait(timeout=30)
            seeded.cleanup()
    table = format_table(results)
    print(table)
    if args.no_results:
        return
    command = " ".join(
        shlex.quote(a) for a in [".venv/bin/python", "bench/bench_inventory.py", *sys.argv[1:]]
    )
    text = (
        f"\n### {started_at:%Y-%m-%d %H:%M} UTC — {args.database}, {args.skus:,} SKUs\n\n"
        f"Command: `{command}`  \nCode: {_revision()}  \n"
        f"Load average before the run: {load_before}; after: {_load()}  \nMachine: {_machine()}\n\n"
        f"{table}\n\n"
        "Closed loop: each client thread sends its next request when the last is answered; "
        f"{args.duration:g} s measured after {args.warmup:g} s of warm-up per case. One `warpware serve` "
        "process, an account-wide key, one stock level per SKU over two warehouses.\n"
    )
    append_results(text, RESULTS)


if __name__ == "__main__":
    main()
