"""Throughput of Shopify webhook handling without HTTP: signature check and order parsing.

    .venv/bin/python bench/bench_shopify.py [--seconds 2]

Prints one row per stage, on the orders/create fixture (2 line items, one with a null SKU). The HTTP
variant (the full endpoint under uvicorn) is left to the lead, who owns the endpoint.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path

from warpware.connectors.shopify import parse_shopify_order, verify_shopify_hmac

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "shopify" / "order_null_sku.json"
SECRETS = ["shpss_current_bench", "shpss_previous_bench"]


def _measure(stage: Callable[[], object], seconds: float) -> tuple[int, float]:
    for _ in range(200):  # warm-up
        stage()
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(500):
            stage()
        count += 500
        now = time.perf_counter()
        if now >= deadline:
            return count, now - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0, help="time per stage")
    args = parser.parse_args()

    raw = FIXTURE.read_bytes()
    current = base64.b64encode(hmac.new(SECRETS[0].encode(), raw, hashlib.sha256).digest()).decode()
    previous = base64.b64encode(hmac.new(SECRETS[1].encode(), raw, hashlib.sha256).digest()).decode()
    payload = json.loads(raw)

    def full(signature: str) -> Callable[[], object]:
        def run() -> object:
            if not verify_shopify_hmac(raw, signature, SECRETS):
                raise SystemExit("signature did not verify")
            return parse_shopify_order(json.loads(raw))

        return run

    stages: list[tuple[str, Callable[[], object]]] = [
        ("verify_shopify_hmac (2 secrets)", lambda: verify_shopify_hmac(raw, current, SECRETS)),
        ("json.loads", lambda: json.loads(raw)),
        ("parse_shopify_order", lambda: parse_shopify_order(payload)),
        ("verify + json.loads + parse", full(current)),
        ("same, signed with previous secret", full(previous)),
    ]
    print(f"fixture: {FIXTURE.name} ({len(raw)} bytes), {args.seconds:g} s per stage\n")
    print(f"{'stage':<36} {'ops':>10} {'ops/s':>12} {'us/op':>9}")
    print("-" * 70)
    for name, stage in stages:
        count, elapsed = _measure(stage, args.seconds)
        print(f"{name:<36} {count:>10,} {count / elapsed:>12,.0f} {elapsed / count * 1e6:>9.1f}")


if __name__ == "__main__":
    main()
