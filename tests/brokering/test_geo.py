"""ZIP centroids and distances: the data file in the repo answers for any US ZIP, offline."""

from __future__ import annotations

import pytest

from warpware.brokering import geo


@pytest.mark.parametrize(
    ("a", "b", "miles"),
    [
        ("10001", "90001", 2450),  # New York - Los Angeles
        ("10001", "60601", 712),  # New York - Chicago
        ("94105", "90001", 347),  # San Francisco - Los Angeles
        ("98101", "33101", 2725),  # Seattle - Miami
    ],
)
def test_known_city_distances_within_five_percent(a: str, b: str, miles: float) -> None:
    d = geo.distance_miles(a, b)

    assert d is not None
    assert d == pytest.approx(miles, rel=0.05)


def test_distance_is_symmetric_and_zero_to_itself() -> None:
    assert geo.distance_miles("10001", "90001") == geo.distance_miles("90001", "10001")
    assert geo.distance_miles("89501", "89501") == 0.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10001", "10001"),
        ("10001-1234", "10001"),
        ("100011234", "10001"),
        (" 02134 ", "02134"),
        ("1000", None),
        ("10001-12", None),
        ("SW1A 1AA", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_zip_accepts_5_and_9_digit_forms(raw: str | None, expected: str | None) -> None:
    assert geo.normalize_zip(raw) == expected


def test_zip_plus_four_resolves_to_the_same_centroid() -> None:
    assert geo.centroid("10001-1234") == geo.centroid("10001") == geo.centroid("100011234")


def test_a_five_digit_zip_missing_from_the_table_falls_back_to_its_prefix() -> None:
    # 10097 is not in the data; its prefix 100 (Manhattan) is.
    assert "10097" not in geo._table()[0]
    point = geo.centroid("10097")

    assert point is not None
    assert point == geo._table()[1]["100"]
    assert geo.haversine_miles(point, geo.centroid("10001") or (0.0, 0.0)) < 10


def test_unknown_and_malformed_zips_have_no_distance() -> None:
    assert geo.centroid("00000") is None  # prefix 000 is not assigned
    assert geo.distance_miles("00000", "10001") is None
    assert geo.distance_miles(None, "10001") is None
    assert geo.distance_miles("10001", "not a zip") is None


def test_every_us_prefix_row_is_a_plausible_coordinate() -> None:
    by5, by3 = geo._table()

    assert len(by3) > 800
    assert len(by5) > 40_000
    for lat, lon in by3.values():
        assert 10 < lat < 72  # Pacific territories (Guam ~13°N) through Alaska
        assert -180 <= lon <= 180


def test_country_check() -> None:
    assert geo.is_us("US") and geo.is_us("usa") and geo.is_us(None) and geo.is_us("United States")
    assert not geo.is_us("CA") and not geo.is_us("GB")
