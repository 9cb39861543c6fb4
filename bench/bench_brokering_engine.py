"""The pure routing engine alone: plans per second over a synthetic network, no database.

    .venv/bin/python bench/bench_brokering_engine.py [--orders 10000] [--locations 50] [--skus 1000]
                                                     [--seed 1] [--record]

Builds --locations locations at ZIPs drawn from the centroid table, each stocking a random ~60% of
--skus SKUs (0-40 units, a few with safety stock and a daily capacity), and --orders orders of 1-4 lines
(SKUs Zipf-skewed so that popular ones run out during the run, quantities 1-3, ship-to ZIPs drawn from the
same table, 2% pickup orders, 1% with a rejected location excluded). Each case plans every order
through one `Ledger`, so stock and capacity are consumed as the run goes, as in a brokering run.
Single thread. Per-plan p50/p99 and orders/s are this thread's CPU time (thread_time), which other
work on a shared machine does not inflate; wall s and wall p99 show what the load did to the run.
--record appends the table to bench/RESULTS.md under "## Brokering engine".
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import time

from recording import append_run  # noqa: E402  (bench/ is on sys.path when run as a script)

from warpware.brokering import geo
from warpware.brokering.engine import Candidate, Ledger, LineDemand, OrderDemand, Policy

SECTION = "## Brokering engine"

INTRO = """Written by bench/bench_brokering_engine.py: the pure routing planner alone (no database, one
thread), every order of a synthetic run planned through one `Ledger` so that stock and daily capacity
run down as the run goes (Zipf-skewed SKUs: the popular ones sell out, hence the unfillable orders).
orders/s, p50 and p99 are CPU time of this thread per `Ledger.plan`, which the other work on this
shared 2-core machine does not inflate; wall s and wall p99 show what that load added. Target:
10,000 orders over 50 locations and 1,000 SKUs in < 2 s."""

CASES: dict[str, Policy] = {
    "no split (fewest_splits, distance, priority)": Policy(),
    "split ≤ 3 (fewest_splits, distance, priority)": Policy(allow_split=True),
    "no split (priority, inventory), safety 1": Policy(ranking=("priority", "inventory"), safety_stock=1),
    "split ≤ 3 (distance first), max 1,500 mi": Policy(
        ranking=("distance", "fewest_splits"), allow_split=True, max_distance_miles=1500
    ),
}


def network(rnd: random.Random, locations: int, skus: int) -> list[Candidate]:
    zips = sorted(geo._table()[0])
    out = []
    for i in range(locations):
        stock = {f"SKU-{s:05d}": rnd.randint(0, 40) for s in range(skus) if rnd.random() < 0.6}
        out.append(
            Candidate(
                location_id=f"loc-{i:03d}",
                zip=rnd.choice(zips),
                priority=rnd.choice((10, 50, 100)),
                daily_capacity=rnd.choice((None, None, 150, 400)),
                available=stock,
                safety_stock=rnd.choice((0, 0, 0, 2)),
                name=f"Location {i}",
            )
        )
    return out


def orders(rnd: random.Random, count: int, skus: int, locations: int) -> list[OrderDemand]:
    zips = sorted(geo._table()[0])
    names = [f"SKU-{s:05d}" for s in range(skus)]
    # Zipf-like demand: the top SKUs are in a few percent of all lines each and sell out during the run.
    weights = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(skus)))
    out = []
    for n in range(count):
        picked = rnd.choices(names, cum_weights=weights, k=rnd.choice((1, 1, 1, 2, 2, 3, 4)))
        lines = tuple(LineDemand(f"o{n}-l{k}", sku, rnd.randint(1, 3)) for k, sku in enumerate(picked))
        roll = rnd.random()
        out.append(
            OrderDemand(
                order_id=f"o{n}",
                lines=lines,
                ship_to_zip=rnd.choice(zips),
                pickup_location_id=f"loc-{rnd.randrange(locations):03d}" if roll < 0.02 else None,
                excluded_location_ids=(
                    frozenset({f"loc-{rnd.randrange(locations):03d}"}) if 0.02 <= roll < 0.03 else frozenset()
                ),
            )
        )
    return out


def run_case(candidates: list[Candidate], demand: list[OrderDemand], policy: Policy) -> dict[str, float]:
    ledger = Ledger(candidates)
    times: list[int] = []
    walls: list[int] = []
    routed = split = 0
    cpu, wall = time.thread_time_ns, time.perf_counter_ns
    started_cpu, started_wall = cpu(), wall()
    for order in demand:
        c0, w0 = cpu(), wall()
        plan = ledger.plan(order, policy)
        times.append(cpu() - c0)
        walls.append(wall() - w0)
        if plan.routed:
            routed += 1
            split += len(plan.shipments) > 1
    total_cpu = (cpu() - started_cpu) / 1e9
    total_wall = (wall() - started_wall) / 1e9
    times.sort()
    walls.sort()
    p99 = min(len(times) - 1, int(len(times) * 0.99))
    return {
        "routed": routed,
        "split": split,
        "unfillable": len(demand) - routed,
        "wall_s": total_wall,
        "cpu_s": total_cpu,
        "per_s": len(demand) / total_cpu,
        "p50_us": times[len(times) // 2] / 1000,
        "p99_us": times[p99] / 1000,
        "wall_p99_us": walls[p99] / 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--locations", type=int, default=50)
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    args = parser.parse_args()

    rnd = random.Random(args.seed)
    geo._table()  # load the centroid file before timing anything
    candidates = network(rnd, args.locations, args.skus)
    demand = orders(rnd, args.orders, args.skus, args.locations)
    load_before = os.getloadavg()

    rows = [
        "| policy | orders | routed | split | unfillable | CPU s | wall s | orders/s (CPU) | p50 µs | p99 µs "
        "| wall p99 µs |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, policy in CASES.items():
        r = run_case(candidates, demand, policy)
        rows.append(
            f"| {name} | {len(demand):,} | {r['routed']:,.0f} | {r['split']:,.0f} | {r['unfillable']:,.0f} "
            f"| {r['cpu_s']:.2f} | {r['wall_s']:.2f} | {r['per_s']:,.0f} | {r['p50_us']:,.0f} "
            f"| {r['p99_us']:,.0f} | {r['wall_p99_us']:,.0f} |"
        )
        print(rows[-1], flush=True)
    table = "\n".join(rows)
    print()
    print(table)

    if args.record:
        append_run(
            section=SECTION,
            intro=INTRO,
            title=(f"{len(demand):,} orders, {args.locations} locations, {args.skus:,} SKUs"),
            table=table,
            load_before=load_before,
            threads="one thread",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
