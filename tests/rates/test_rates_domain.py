"""The rating arithmetic and the data files (no database)."""

from __future__ import annotations

from decimal import Decimal

from warpware.rates import tables
from warpware.rates.domain import (
    Package,
    billable_weight_lbs,
    dim_weight_lbs,
    distance_miles,
    rate_for,
    rated_pounds,
    zone_for,
)


def test_dim_and_billable_weight() -> None:
    package = Package(Decimal(32), (Decimal(12), Decimal(8), Decimal(6)))
    assert package.weight_lbs == Decimal(2)
    assert dim_weight_lbs(package, 139) == Decimal(576) / Decimal(139)
    assert billable_weight_lbs(package, 139) == Decimal(576) / Decimal(139)
    # USPS counts DIM weight only above one cubic foot.
    assert dim_weight_lbs(package, 166, min_cubic_inches=1728) is None
    assert billable_weight_lbs(package, 166, min_cubic_inches=1728) == Decimal(2)
    big = Package(Decimal(16), (Decimal(12), Decimal(12), Decimal(13)))
    assert billable_weight_lbs(big, 166, min_cubic_inches=1728) == Decimal(1872) / Decimal(166)
    assert billable_weight_lbs(Package(Decimal(40)), 139) == Decimal("2.5")
    assert [rated_pounds(Decimal(x)) for x in ("0.1", "1", "1.01", "4.14")] == [1, 1, 2, 5]


def test_zones_from_zip3_distance() -> None:
    centroids, bands = tables.centroids(), tables.zone_bands()
    assert round(distance_miles(centroids["787"], centroids["100"])) == 1514
    cases = {
        ("787", "787"): 1,
        ("100", "104"): 1,
        ("100", "191"): 2,
        ("100", "021"): 3,
        ("100", "606"): 5,
        ("787", "100"): 7,
        ("100", "900"): 8,
        ("900", "967"): 8,
    }
    assert {
        pair: zone_for(distance_miles(centroids[pair[0]], centroids[pair[1]]), bands) for pair in cases
    } == cases
    assert len(centroids) == 918 and centroids["100"].state == "NY" and "000" not in centroids


def test_rate_rows_and_interpolation() -> None:
    [ups, *_] = [c for c in tables.carriers() if c.carrier == "UPS"]
    ground = ups.services[0]
    assert (ground.service, ground.max_weight_lbs) == ("UPS Ground", 150)
    assert rate_for(ground, 5, 7) == Decimal("13.40")
    assert rate_for(ground, 10, 7) == Decimal("15.90") and rate_for(ground, 15, 7) == Decimal("18.40")
    assert rate_for(ground, 12, 7) == Decimal("16.90")  # between the 10 and 15 lb rows
    assert rate_for(ground, 150, 8) is not None and rate_for(ground, 151, 8) is None
    services = {(c.carrier, s.service) for c in tables.carriers() for s in c.services}
    assert services == {
        ("USPS", "Ground Advantage"),
        ("USPS", "Priority Mail"),
        ("USPS", "Priority Mail Express"),
        ("UPS", "UPS Ground"),
        ("UPS", "UPS 2nd Day Air"),
        ("UPS", "UPS Next Day Air"),
        ("FedEx", "FedEx Ground"),
        ("FedEx", "FedEx 2Day"),
        ("FedEx", "FedEx Standard Overnight"),
    }
    # Every table rises with weight and with zone.
    for carrier in tables.carriers():
        for service in carrier.services:
            for (_, low), (_, high) in zip(service.rows, service.rows[1:], strict=False):
                assert all(a <= b for a, b in zip(low, high, strict=True)), service.service
            for _, rates in service.rows:
                assert list(rates) == sorted(rates), service.service
