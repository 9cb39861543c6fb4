"""Outbound webhooks: deliveries/s, delay from order change to delivery, and what the outbox costs ingest.

    .venv/bin/python bench/bench_webhooks.py [--database sqlite|postgresql|both] [--orders 2000]
        [--rate 50] [--seconds 20] [--concurrency 8]

Cases, per database (a temporary SQLite file, or a PostgreSQL schema of its own, dropped at the end):
- `ingest`: bulk ingest of 100 orders per transaction through the orders service: with the outbox call
  switched off (the path as it was before webhooks), with no endpoint, and with one endpoint subscribed
  to order.created: the outbox's cost on the hottest write path.
- `burst`: `--orders` order.created deliveries queued (the ingest above), then one in-process Worker with
  `--concurrency` threads starts and sends them all to a local keep-alive receiver; deliveries/s is
  the number sent over the time from the worker's start to the last arrival.
- `steady`: the worker running (every job, the orders' evaluations too), orders created one per
  transaction at `--rate` per second for `--seconds`; delay = arrival at the receiver - the event's
  `timestamp` (when the order changed, in its transaction), so it includes commit, queue wake-up, claim,
  signing and the HTTP round trip.
The receiver verifies nothing and answers 200 at once: what is measured is our side. SQLite gets an
ANALYZE before the burst (see the comment there: the job queue's claim plan needs statistics).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import sqlalchemy as sa

from warpware.accounts.domain import Principal
from warpware.accounts.service import authenticate, create_api_key
from warpware.app import HANDLER_MODULES
from warpware.config import get_settings
from warpware.connectors.base import Address, LineItem, NormalizedOrder
from warpware.db import Database
from warpware.orders import service as orders_service
from warpware.schema import create_schema
from warpware.webhooks import outbox
from warpware.webhooks import service as webhooks_service
from warpware.webhooks.models import WebhookDelivery
from warpware.webhooks.outbox import DELIVER_JOB
from warpware.webhooks.schemas import WebhookCreate
from warpware.worker import Worker
from warpware.worker.models import jobs_table

POSTGRES_URL = os.environ.get(
    "WARPWARE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class Receiver:
    """A keep-alive HTTP server that notes when each event arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, tuple[float, str]] = {}  # event id -> (arrival time, event timestamp)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                arrived = time.time()
                payload = json.loads(body)
                with receiver.lock:
                    receiver.arrivals[payload["id"]] = (arrived, payload["timestamp"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def reset(self) -> None:
        with self.lock:
            self.arrivals.clear()


def _order(i: int) -> NormalizedOrder:
    return NormalizedOrder(
        external_id=f"BENCH-{uuid.uuid4().hex[:10]}-{i}",
        source="api",
        line_items=(LineItem(sku="WIDGET-RED-LG", quantity=2, price=Decimal("29.99")),),
        shipping_address=Address(
            name="Jane Smith", address1="123 Main St", city="New York", state="NY", zip="10001", country="US"
        ),
        customer_email="jane@example.com",
        tags=("vip",),
    )


def _tenant(database: Database) -> Principal:
    with database.writing() as session:
        created = create_api_key(
            session,
            account_slug=f"bench-{uuid.uuid4().hex[:8]}",
            sub_client_slug=None,
            name="bench",
            scopes="read,write",
        )
        key = created.key
    with database.reading() as session:
        return authenticate(session, f"Bearer {key}").principal


def _ingest(database: Database, principal: Principal, orders: int, batch: int) -> list[float]:
    """Seconds per transaction of `batch` orders."""
    timings = []
    for start in range(0, orders, batch):
        began = time.perf_counter()
        batch_orders = [_order(start + i) for i in range(min(batch, orders - start))]
        with database.writing() as session:
            orders_service.ingest(session, principal, batch_orders, actor="bench")
        timings.append(time.perf_counter() - began)
    return timings


def _register(database: Database, principal: Principal, url: str) -> uuid.UUID:
    with database.writing() as session:
        endpoint, _ = webhooks_service.create_endpoint(
            session, principal, WebhookCreate(url=url, events=["order.created"]), allow_private=True
        )
        return endpoint.id


def _no_outbox(session: Any, orders: Any, events: Any) -> None:
    return None


@contextmanager
def _outbox_off() -> Iterator[None]:
    """The ingest path as it was before webhooks: the repository's call into the outbox does nothing."""
    saved = outbox.emit_for_inserted_orders
    outbox.emit_for_inserted_orders = _no_outbox
    try:
        yield
    finally:
        outbox.emit_for_inserted_orders = saved


@contextmanager
def _worker(database: Database, concurrency: int) -> Iterator[Worker]:
    worker = Worker(database, concurrency=concurrency, poll_interval=0.05, handler_modules=HANDLER_MODULES)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        worker.wake()
        thread.join(timeout=60)


def _wait_for(receiver: Receiver, count: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while receiver.count() < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {receiver.count()} of {count} deliveries arrived in {timeout:.0f} s")
        time.sleep(0.01)
    with receiver.lock:
        return max(arrived for arrived, _ in receiver.arrivals.values())


def _delays_ms(receiver: Receiver) -> list[float]:
    with receiver.lock:
        return [
            (arrived - datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()) * 1000
            for arrived, stamp in receiver.arrivals.values()
        ]


def _pct(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _row(
    case: str, label: str, events: int, throughput: str, p50: float | None, p99: float | None, note: str
) -> str:
    cells = [
        case,
        label,
        f"{events:,}",
        throughput,
        "" if p50 is None else f"{p50:.1f}",
        "" if p99 is None else f"{p99:.1f}",
        note,
    ]
    return "| " + " | ".join(cells) + " |"


def run(label: str, database: Database, args: argparse.Namespace, receiver: Receiver) -> list[str]:
    rows = []
    quiet = _tenant(database)
    with _outbox_off():
        baseline = _ingest(database, quiet, 1000, 100)
    plain = _ingest(database, quiet, 1000, 100)
    principal = _tenant(database)
    endpoint = _register(database, principal, receiver.url)
    receiver.reset()
    with_hook = _ingest(database, principal, args.orders, 100)
    with database.writing() as session:
        # The burst measures deliveries alone: the orders' evaluation jobs are the pipeline's business.
        session.execute(
            sa.update(jobs_table)
            .where(jobs_table.c.status == "queued", jobs_table.c.name != DELIVER_JOB)
            .values(status="cancelled")
        )
    if database.dialect == "sqlite":
        # Without statistics SQLite claims through ix_jobs_name_status and sorts every queued job of the
        # name: ~40 ms a claim with 1,000 queued. ANALYZE makes it walk ix_jobs_due (2-4 ms).
        with database.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    rows.append(
        _row(
            "ingest, outbox hook off",
            label,
            1000,
            f"{1000 / sum(baseline):,.0f} orders/s",
            _pct(baseline, 0.5) * 1000,
            _pct(baseline, 0.99) * 1000,
            "ms per 100-order transaction",
        )
    )
    rows.append(
        _row(
            "ingest, no endpoint",
            label,
            1000,
            f"{1000 / sum(plain):,.0f} orders/s",
            _pct(plain, 0.5) * 1000,
            _pct(plain, 0.99) * 1000,
            "ms per 100-order transaction",
        )
    )
    hooked_rate = f"{args.orders / sum(with_hook):,.0f} orders/s"
    rows.append(
        _row(
            "ingest, 1 endpoint",
            label,
            args.orders,
            hooked_rate,
            _pct(with_hook, 0.5) * 1000,
            _pct(with_hook, 0.99) * 1000,
            "ms per 100-order transaction (also writes 100 deliveries and jobs)",
        )
    )

    started = time.time()
    with _worker(database, args.concurrency):
        last = _wait_for(receiver, args.orders, timeout=600)
        rows.append(
            _row(
                "burst",
                label,
                args.orders,
                f"{args.orders / (last - started):,.0f} deliveries/s",
                None,
                None,
                "all queued before the worker started",
            )
        )
        receiver.reset()
        total = int(args.rate * args.seconds)
        began = time.perf_counter()
        for i in range(total):
            due = began + i / args.rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            with database.writing() as session:
                orders_service.ingest(session, principal, [_order(i)], actor="bench")
        _wait_for(receiver, total, timeout=120)
        delays = _delays_ms(receiver)
        rows.append(
            _row(
                f"steady {args.rate:g}/s",
                label,
                total,
                f"{total / args.seconds:,.0f} deliveries/s",
                _pct(delays, 0.5),
                _pct(delays, 0.99),
                "ms from order change to arrival",
            )
        )
    with database.reading() as session:
        states = dict(
            session.execute(
                sa.select(WebhookDelivery.status, sa.func.count())
                .where(WebhookDelivery.endpoint_id == endpoint)
                .group_by(WebhookDelivery.status)
            ).all()
        )
    assert states == {"delivered": args.orders + total}, states
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    os.environ["WARPWARE_ALLOW_PRIVATE_WEBHOOKS"] = "1"  # the receiver is on loopback
    get_settings.cache_clear()
    receiver = Receiver()
    rows: list[str] = []
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            database = Database(f"sqlite:///{folder}/bench.db")
            create_schema(database)
            rows += run("sqlite", database, args, receiver)
            database.dispose()
    if args.database in ("postgresql", "both"):
        schema = f"ww_bench_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            sep = "&" if "?" in POSTGRES_URL else "?"
            database = Database(f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}")
            create_schema(database)
            rows += run("postgresql", database, args, receiver)
            database.dispose()
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    print("| case | db | events | throughput | p50 | p99 | note |\n|---|---|--:|--:|--:|--:|---|")
    print("\n".join(rows))
    receiver.server.shutdown()


if __name__ == "__main__":
    main()
