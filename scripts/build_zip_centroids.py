"""Rebuild src/warpware/brokering/data/zip_centroids.csv from the `zipcodes` package's bundled dataset.

The routing engine needs ZIP coordinates offline. The MIT-licensed PyPI package `zipcodes` embeds a
US ZIP dataset whose coordinates come from GeoNames (CC BY 4.0); we read it once, here, and keep the
derived table in the repo, so `zipcodes` is never a dependency of WarpWare itself.

    python -m venv /tmp/zipvenv && /tmp/zipvenv/bin/pip install 'zipcodes==3.0.0'
    /tmp/zipvenv/bin/python scripts/build_zip_centroids.py   # run from the repo root

Rows: every 5-digit ZIP that has coordinates (rounded to 3 decimals, ~100 m), then one row per 3-digit
prefix holding the mean of its 5-digit ZIPs, used for ZIPs the table does not list.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import zipcodes  # type: ignore[import-not-found]

OUT = Path(__file__).resolve().parent.parent / "src/warpware/brokering/data/zip_centroids.csv"


def main() -> int:
    by5: dict[str, tuple[float, float]] = {}
    for row in zipcodes.list_all():
        try:
            lat, lon = float(row["lat"]), float(row["long"])
        except (KeyError, TypeError, ValueError):
            continue
        if lat == 0.0 and lon == 0.0:  # placeholder coordinates in the source
            continue
        by5[row["zip_code"]] = (lat, lon)
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for zip5, point in by5.items():
        groups[zip5[:3]].append(point)
    with OUT.open("w", encoding="utf-8", newline="\n") as f:
        f.write(
            f"# US ZIP centroids derived by scripts/build_zip_centroids.py from the PyPI package zipcodes=="
            f"{version('zipcodes')} (MIT).\n"
            "# Coordinates: GeoNames postal code data (www.geonames.org), licensed CC BY 4.0.\n"
            "# 5-digit rows are ZIP coordinates; 3-digit rows are the mean of that prefix's 5-digit ZIPs.\n"
        )
        f.write("zip,lat,lon\n")
        for zip5 in sorted(by5):
            lat, lon = by5[zip5]
            f.write(f"{zip5},{lat:.3f},{lon:.3f}\n")
        for prefix in sorted(groups):
            points = groups[prefix]
            lat = sum(p[0] for p in points) / len(points)
            lon = sum(p[1] for p in points) / len(points)
            f.write(f"{prefix},{lat:.3f},{lon:.3f}\n")
    print(f"wrote {len(by5)} ZIPs and {len(groups)} prefixes to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
