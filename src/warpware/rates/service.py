"""GET /shipping/rates: check the query (400 on anything unusable), then rate the package."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from warpware.errors import BadRequest
from warpware.rates import tables
from warpware.rates.domain import (
    OUNCES_PER_POUND,
    Package,
    Rate,
    billable_weight_lbs,
    dim_weight_lbs,
    distance_miles,
    quote,
    round_weight,
    zone_for,
)

DISCLAIMER = "Estimates only."
# The top-level DIM and billable weights use the UPS/FedEx divisor; each rate carries its carrier's own.
HEADLINE_DIM_DIVISOR = 139
MAX_DIMENSION_INCHES = Decimal(108)
_ZIP_RE = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class Estimate:
    origin_zip: str
    destination_zip: str
    package: Package
    zone: int
    distance_miles: float
    rates: list[Rate]

    @property
    def dim_weight_lbs(self) -> Decimal | None:
        dim = dim_weight_lbs(self.package, HEADLINE_DIM_DIVISOR)
        return round_weight(dim) if dim is not None else None

    @property
    def billable_weight_lbs(self) -> Decimal:
        return round_weight(billable_weight_lbs(self.package, HEADLINE_DIM_DIVISOR))


def _zip(name: str, value: str | None) -> str:
    if value is None or value == "":
        raise BadRequest(f"{name} is required (a 5-digit US ZIP code)")
    text = value.strip()
    if not _ZIP_RE.match(text):
        raise BadRequest(f"{name} must be a 5-digit US ZIP code (got {value!r})")
    if text[:3] not in tables.centroids():
        raise BadRequest(f"{name} {text} is not a known US ZIP code (no ZIP prefix {text[:3]})")
    return text


def _number(name: str, value: str, *, unit: str) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise BadRequest(f"{name} must be a number of {unit} (got {value!r})") from None
    if not number.is_finite():
        raise BadRequest(f"{name} must be a number of {unit} (got {value!r})")
    if number <= 0:
        raise BadRequest(f"{name} must be greater than 0 (got {value})")
    return number


def _package(weight_oz: str | None, length: str | None, width: str | None, height: str | None) -> Package:
    if weight_oz is None or weight_oz == "":
        raise BadRequest("weight_oz is required (the package weight in ounces)")
    weight = _number("weight_oz", weight_oz, unit="ounces")
    limit = tables.max_weight_lbs()
    if weight > limit * OUNCES_PER_POUND:
        raise BadRequest(
            f"weight_oz {weight_oz} is too heavy: no service takes over {limit} lb "
            f"({limit * OUNCES_PER_POUND} oz)"
        )
    given = {"length": length, "width": width, "height": height}
    present = {k: v for k, v in given.items() if v not in (None, "")}
    if not present:
        return Package(weight)
    if len(present) < 3:
        missing = ", ".join(k for k in given if k not in present)
        raise BadRequest(f"length, width and height go together: {missing} missing")
    dims = tuple(_number(k, v, unit="inches") for k, v in present.items())
    for name, size in zip(present, dims, strict=True):
        if size > MAX_DIMENSION_INCHES:
            raise BadRequest(f"{name} {size} in is over the {MAX_DIMENSION_INCHES} in carriers accept")
    return Package(weight, (dims[0], dims[1], dims[2]))


def estimate(
    *,
    origin_zip: str | None,
    destination_zip: str | None,
    weight_oz: str | None,
    length: str | None = None,
    width: str | None = None,
    height: str | None = None,
) -> Estimate:
    origin = _zip("origin_zip", origin_zip)
    destination = _zip("destination_zip", destination_zip)
    package = _package(weight_oz, length, width, height)
    centroids = tables.centroids()
    miles = distance_miles(centroids[origin[:3]], centroids[destination[:3]])
    zone = zone_for(miles, tables.zone_bands())
    rates = quote(package, zone, tables.carriers())
    if not rates:
        raise BadRequest(
            "The package is too heavy for every service once its DIM weight is counted "
            f"(billable {round_weight(billable_weight_lbs(package, HEADLINE_DIM_DIVISOR))} lb)"
        )
    return Estimate(origin, destination, package, zone, miles, rates)
