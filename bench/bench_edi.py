"""How fast parse_850 reads X12: one large interchange, and many one-PO files (the usual SFTP drop).

    .venv/bin/python bench/bench_edi.py [--pos 2000] [--lines 10] [--runs 10] [--small-files 2000]

Inputs are generated in memory with build_850 + write_interchange, so the bench needs no fixtures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from warpware.connectors.base import Address, LineItem, NormalizedOrder
from warpware.connectors.edi import (
    OutboundGroup,
    Party,
    build_850,
    parse_850,
    tokenize,
    write_interchange,
)

CREATED = dt.datetime(2026, 1, 15, 10, 30)


def make_order(n: int, lines: int) -> NormalizedOrder:
    items = tuple(
        LineItem(sku=f"SKU-{n % 97:03d}-{k:02d}", quantity=1 + (n + k) % 12,
                 price=Decimal(f"{(n * 7 + k * 13) % 500}.{(n + k) % 100:02d}"),
                 name=f"ITEM {k} OF ORDER {n}", uom="EA", channel_line_id=str(k + 1))
        for k in range(lines)
    )
    return NormalizedOrder(
        external_id=f"PO-{100000 + n}", source="edi", line_items=items,
        shipping_address=Address(name=f"CUSTOMER {n}", address1=f"{n} MAIN ST", address2="SUITE 100",
                                 city="SPRINGFIELD", state="IL", zip="62701"),
        customer_name=f"BUYER {n}", customer_email=f"buyer{n}@example.com", service_level="GROUND",
        order_date=dt.date(2026, 1, 15),
        metadata={"po_purpose": "00", "po_type": "DS", "ref_CO": f"WEB-{n}",
                  "line_product_ids": [{"VP": item.sku, "UP": f"{n * 10 + k:012d}"}
                                       for k, item in enumerate(items)]},
    )


def make_interchange(first: int, pos: int, lines: int, control: int) -> str:
    sets = tuple(build_850(make_order(first + n, lines), control_number=f"{n + 1:04d}") for n in range(pos))
    return write_interchange([OutboundGroup("PO", control, sets)], sender=Party("ZZ", "ACMERETAIL"),
                             receiver=Party("ZZ", "WARPWARE"), control_number=control, created_at=CREATED,
                             line_break="\n")


@dataclass
class Row:
    name: str
    files: int
    pos: int
    lines: int
    megabytes: float
    seconds: list[float]

    def cells(self) -> list[str]:
        total = sum(self.seconds)
        ordered = sorted(self.seconds)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        return [self.name, f"{self.files:,}", f"{self.lines / total:,.0f}", f"{self.pos / total:,.0f}",
                f"{self.megabytes / total:,.1f}", f"{statistics.median(self.seconds) * 1000:,.2f}",
                f"{p99 * 1000:,.2f}"]


def measure(name: str, texts: list[str], runs: int, pos_per_file: int, lines_per_po: int,
            work: Callable[[str], object]) -> Row:
    seconds: list[float] = []
    for _ in range(runs):
        for text in texts:
            start = time.perf_counter()
            work(text)
            seconds.append(time.perf_counter() - start)
    files = len(texts) * runs
    size = sum(len(t) for t in texts) * runs / 1e6
    return Row(name, files, files * pos_per_file, files * pos_per_file * lines_per_po, size, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pos", type=int, default=2000, help="purchase orders in the large interchange")
    parser.add_argument("--lines", type=int, default=10, help="PO1 lines per purchase order")
    parser.add_argument("--runs", type=int, default=10, help="times the large interchange is parsed")
    parser.add_argument("--small-files", type=int, default=2000, help="one-PO interchanges to parse")
    args = parser.parse_args()

    big = make_interchange(0, args.pos, args.lines, 1)
    small = [make_interchange(n, 1, args.lines, n + 1) for n in range(args.small_files)]
    assert len(parse_850(big)) == args.pos  # a bench of a parser that fails proves nothing

    big_name = f"parse_850, {args.pos:,} POs x {args.lines} lines ({len(big) / 1e6:.1f} MB)"
    rows = [
        measure(big_name, [big], args.runs, args.pos, args.lines, parse_850),
        measure("tokenize only, same file", [big], args.runs, args.pos, args.lines,
                lambda t: list(tokenize(t))),
        measure(f"parse_850, 1 PO x {args.lines} lines ({len(small[0]):,} B)", small, 1, 1, args.lines,
                parse_850),
    ]
    header = ["case", "files", "lines/s", "POs/s", "MB/s", "p50 ms/file", "p99 ms/file"]
    table = [header, *(row.cells() for row in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for n, cells in enumerate(table):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                             strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
