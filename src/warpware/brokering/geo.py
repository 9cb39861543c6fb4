"""US ZIP centroids and great-circle distance, from a data file kept in the repo.

`data/zip_centroids.csv` holds one centroid per 3-digit ZIP prefix (the mean of that prefix's 5-digit
ZIP coordinates) and, where the source has it, per 5-digit ZIP. A 5-digit centroid is used when
present, else its prefix's. Routing only needs "which location is nearer", and a 3-digit prefix
centroid is within a few tens of miles of any ZIP in it, so the prefix table alone would do; the
5-digit rows make short distances (a store across town) meaningful.
"""

from __future__ import annotations

import csv
import math
import re
from functools import lru_cache
from importlib import resources

EARTH_RADIUS_MILES = 3958.7613
_ZIP_RE = re.compile(r"^\s*(\d{5})(?:-?\d{4})?\s*$")
_US = frozenset({"US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA"})


def normalize_zip(raw: str | None) -> str | None:
    """The 5-digit ZIP of '12345', '12345-6789' or '123456789'; None for anything else."""
    if raw is None:
        return None
    match = _ZIP_RE.match(raw)
    return match.group(1) if match else None


def is_us(country: str | None) -> bool:
    # Orders without a country are overwhelmingly domestic in the channels we ingest.
    return country is None or country.strip().upper() in _US


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    zip5: dict[str, tuple[float, float]] = {}
    zip3: dict[str, tuple[float, float]] = {}
    text = resources.files("warpware.brokering").joinpath("data/zip_centroids.csv").read_text("utf-8")
    rows = (line for line in text.splitlines() if line and not line.startswith("#"))
    for row in csv.DictReader(rows):
        key = row["zip"]
        point = (float(row["lat"]), float(row["lon"]))
        (zip5 if len(key) == 5 else zip3)[key] = point
    return zip5, zip3


@lru_cache(maxsize=65536)
def centroid(raw_zip: str | None) -> tuple[float, float] | None:
    """(latitude, longitude) for a US ZIP, or None when it is malformed or unknown."""
    zip5 = normalize_zip(raw_zip)
    if zip5 is None:
        return None
    by5, by3 = _table()
    return by5.get(zip5) or by3.get(zip5[:3])


def haversine_miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle miles between two (latitude, longitude) points in degrees."""
    return miles_between(_radians(a), _radians(b))


def _radians(p: tuple[float, float]) -> tuple[float, float, float]:
    lat = math.radians(p[0])
    return lat, math.radians(p[1]), math.cos(lat)


@lru_cache(maxsize=65536)
def point(raw_zip: str | None) -> tuple[float, float, float] | None:
    """A ZIP's centroid as (latitude rad, longitude rad, cos latitude), the form `miles_between` takes.

    The routing engine measures one ship-to point against every location for every order; keeping the
    radians and the cosine per point makes each distance a handful of float operations."""
    c = centroid(raw_zip)
    return None if c is None else _radians(c)


def miles_between(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    h = math.sin((b[0] - a[0]) / 2) ** 2 + a[2] * b[2] * math.sin((b[1] - a[1]) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


@lru_cache(maxsize=65536)
def unit_vector(raw_zip: str | None) -> tuple[float, float, float] | None:
    """A ZIP's centroid as a point on the unit sphere. The dot product of two such vectors falls as
    distance grows, so nearest-first ranking needs three multiplications per location, not trigonometry."""
    p = point(raw_zip)
    if p is None:
        return None
    return (p[2] * math.cos(p[1]), p[2] * math.sin(p[1]), math.sin(p[0]))


def closeness_limit(miles: float) -> float:
    """The smallest unit-vector dot product of two points at most `miles` apart."""
    return math.cos(min(math.pi, miles / EARTH_RADIUS_MILES))


def distance_miles(zip_a: str | None, zip_b: str | None) -> float | None:
    """Great-circle miles between two US ZIP centroids; None if either is unknown."""
    a = point(zip_a)
    b = point(zip_b)
    if a is None or b is None:
        return None
    return miles_between(a, b)
