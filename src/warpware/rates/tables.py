"""The rate data files shipped in the package (rates/data/), loaded once per process."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from warpware.rates.domain import CarrierTable, Centroid, ServiceTable, ZoneBand

CARRIER_FILES = ("usps.json", "ups.json", "fedex.json")


def _text(name: str) -> str:
    return resources.files("warpware.rates").joinpath("data", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def centroids() -> dict[str, Centroid]:
    """ZIP3 prefix → the mean position of its ZIP codes (from public ZIP code data)."""
    reader = csv.DictReader(io.StringIO(_text("zip3_centroids.csv")))
    return {
        row["zip3"]: Centroid(row["zip3"], row["state"], float(row["lat"]), float(row["lon"]))
        for row in reader
    }


@lru_cache(maxsize=1)
def zone_bands() -> tuple[ZoneBand, ...]:
    data = json.loads(_text("zones.json"))
    return tuple(ZoneBand(int(b["zone"]), b["max_miles"]) for b in data["bands"])


def _service(carrier: str, data: dict[str, Any]) -> ServiceTable:
    return ServiceTable(
        carrier=carrier,
        service=str(data["service"]),
        max_weight_lbs=int(data["max_weight_lbs"]),
        estimated_days=tuple(int(d) for d in data["estimated_days"]),
        rows=tuple((int(weight), tuple(Decimal(r) for r in rates)) for weight, rates in data["rates"]),
    )


@lru_cache(maxsize=1)
def carriers() -> tuple[CarrierTable, ...]:
    tables = []
    for name in CARRIER_FILES:
        data = json.loads(_text(name), parse_float=Decimal)
        carrier = str(data["carrier"])
        tables.append(
            CarrierTable(
                carrier=carrier,
                dim_divisor=int(data["dim_divisor"]),
                dim_min_cubic_inches=int(data["dim_min_cubic_inches"]),
                services=tuple(_service(carrier, s) for s in data["services"]),
            )
        )
    return tuple(tables)


def max_weight_lbs() -> int:
    return max(s.max_weight_lbs for c in carriers() for s in c.services)
