"""Rating as pure functions over the tables: DIM and billable weight, zone, and the rate of one service.

No framework or database imports. Money and weights are Decimal throughout, so 32 oz is exactly 2 lb.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

OUNCES_PER_POUND = Decimal(16)
CENT = Decimal("0.01")
EARTH_RADIUS_MILES = 3958.8


@dataclass(frozen=True)
class Centroid:
    zip3: str
    state: str
    lat: float
    lon: float


@dataclass(frozen=True)
class ZoneBand:
    zone: int
    max_miles: float | None  # None: everything farther


@dataclass(frozen=True)
class ServiceTable:
    carrier: str
    service: str
    max_weight_lbs: int
    estimated_days: tuple[int, ...]  # by zone, zone 1 first
    # (weight in whole pounds, rates by zone); weights between two rows are interpolated.
    rows: tuple[tuple[int, tuple[Decimal, ...]], ...]


@dataclass(frozen=True)
class CarrierTable:
    carrier: str
    dim_divisor: int
    # DIM weight applies only to packages larger than this (USPS: one cubic foot); 0 means always.
    dim_min_cubic_inches: int
    services: tuple[ServiceTable, ...]


@dataclass(frozen=True)
class Package:
    weight_oz: Decimal
    dimensions: tuple[Decimal, Decimal, Decimal] | None = None  # inches

    @property
    def weight_lbs(self) -> Decimal:
        return self.weight_oz / OUNCES_PER_POUND

    @property
    def cubic_inches(self) -> Decimal | None:
        if self.dimensions is None:
            return None
        length, width, height = self.dimensions
        return length * width * height


@dataclass(frozen=True)
class Rate:
    carrier: str
    service: str
    estimated_days: int
    rate_usd: Decimal
    billable_weight_lbs: Decimal


def dim_weight_lbs(package: Package, divisor: int, *, min_cubic_inches: int = 0) -> Decimal | None:
    """L×W×H / divisor, or None without dimensions or below the carrier's size threshold."""
    volume = package.cubic_inches
    if volume is None or volume <= min_cubic_inches:
        return None
    return volume / Decimal(divisor)


def billable_weight_lbs(package: Package, divisor: int, *, min_cubic_inches: int = 0) -> Decimal:
    """The greater of the actual and the DIM weight, as carriers bill."""
    dim = dim_weight_lbs(package, divisor, min_cubic_inches=min_cubic_inches)
    return max(package.weight_lbs, dim) if dim is not None else package.weight_lbs


def rated_pounds(billable: Decimal) -> int:
    """Carriers rate by the pound, rounding any fraction up."""
    return int(billable.to_integral_value(rounding=ROUND_CEILING))


def distance_miles(a: Centroid, b: Centroid) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def zone_for(miles: float, bands: tuple[ZoneBand, ...]) -> int:
    for band in bands:
        if band.max_miles is None or miles <= band.max_miles:
            return band.zone
    return bands[-1].zone


def rate_for(table: ServiceTable, pounds: int, zone: int) -> Decimal | None:
    """The table's rate for a whole-pound weight in a zone; None above the service's maximum weight."""
    if pounds > table.max_weight_lbs or not table.rows:
        return None
    column = zone - 1
    pounds = max(pounds, table.rows[0][0])
    lower = table.rows[0]
    for row in table.rows:
        weight, rates = row
        if weight == pounds:
            return rates[column]
        if weight > pounds:
            low_weight, low_rates = lower
            share = Decimal(pounds - low_weight) / Decimal(weight - low_weight)
            value = low_rates[column] + (rates[column] - low_rates[column]) * share
            return value.quantize(CENT, rounding=ROUND_HALF_UP)
        lower = row
    return None


def quote(package: Package, zone: int, carriers: tuple[CarrierTable, ...]) -> list[Rate]:
    """Every service that takes the package, cheapest first."""
    rates: list[Rate] = []
    for carrier in carriers:
        billable = billable_weight_lbs(
            package, carrier.dim_divisor, min_cubic_inches=carrier.dim_min_cubic_inches
        )
        pounds = rated_pounds(billable)
        for service in carrier.services:
            price = rate_for(service, pounds, zone)
            if price is None:
                continue
            days = service.estimated_days[min(zone, len(service.estimated_days)) - 1]
            rates.append(Rate(carrier.carrier, service.service, days, price, round_weight(billable)))
    return sorted(rates, key=lambda r: (r.rate_usd, r.carrier, r.service))


def round_weight(pounds: Decimal) -> Decimal:
    return pounds.quantize(CENT, rounding=ROUND_HALF_UP)
