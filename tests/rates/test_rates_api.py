"""GET /shipping/rates: the documented example, every rate, and 400 on unusable input."""

from __future__ import annotations

from tests.conftest import Tenant

URL = "/partner/v1/shipping/rates"
EXAMPLE = "origin_zip=78701&destination_zip=10001&weight_oz=32&length=12&width=8&height=6"


def test_documented_example(tenant: Tenant) -> None:
    response = tenant.get(f"{URL}?{EXAMPLE}")
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "origin_zip": "78701",
            "destination_zip": "10001",
            "weight_oz": 32,
            "billable_weight_lbs": 4.14,
            "dim_weight_lbs": 4.14,
            "zone": 7,
            "rates": [
                {
                    "carrier": "USPS",
                    "service": "Ground Advantage",
                    "estimated_days": 5,
                    "rate_usd": 8.1,
                    "billable_weight_lbs": 2,
                },
                {
                    "carrier": "USPS",
                    "service": "Priority Mail",
                    "estimated_days": 3,
                    "rate_usd": 10.75,
                    "billable_weight_lbs": 2,
                },
                {
                    "carrier": "UPS",
                    "service": "UPS Ground",
                    "estimated_days": 5,
                    "rate_usd": 13.4,
                    "billable_weight_lbs": 4.14,
                },
                {
                    "carrier": "FedEx",
                    "service": "FedEx Ground",
                    "estimated_days": 5,
                    "rate_usd": 14.1,
                    "billable_weight_lbs": 4.14,
                },
                {
                    "carrier": "UPS",
                    "service": "UPS 2nd Day Air",
                    "estimated_days": 2,
                    "rate_usd": 42.8,
                    "billable_weight_lbs": 4.14,
                },
                {
                    "carrier": "FedEx",
                    "service": "FedEx 2Day",
                    "estimated_days": 2,
                    "rate_usd": 43.3,
                    "billable_weight_lbs": 4.14,
                },
                {
                    "carrier": "USPS",
                    "service": "Priority Mail Express",
                    "estimated_days": 2,
                    "rate_usd": 46.1,
                    "billable_weight_lbs": 2,
                },
                {
                    "carrier": "FedEx",
                    "service": "FedEx Standard Overnight",
                    "estimated_days": 1,
                    "rate_usd": 72,
                    "billable_weight_lbs": 4.14,
                },
                {
                    "carrier": "UPS",
                    "service": "UPS Next Day Air",
                    "estimated_days": 1,
                    "rate_usd": 73.9,
                    "billable_weight_lbs": 4.14,
                },
            ],
            "disclaimer": "Estimates only.",
        },
        "meta": {},
    }


def test_without_dimensions_bills_actual_weight(tenant: Tenant) -> None:
    data = tenant.get(f"{URL}?origin_zip=10001&destination_zip=10016&weight_oz=8").json()["data"]
    assert (data["zone"], data["dim_weight_lbs"], data["billable_weight_lbs"], data["weight_oz"]) == (
        1,
        None,
        0.5,
        8,
    )
    cheapest = data["rates"][0]
    assert cheapest == {
        "carrier": "USPS",
        "service": "Ground Advantage",
        "estimated_days": 2,
        "rate_usd": 5.4,
        "billable_weight_lbs": 0.5,
    }


def test_large_box_uses_usps_dim_weight_too(tenant: Tenant) -> None:
    data = tenant.get(
        f"{URL}?origin_zip=90001&destination_zip=96813&weight_oz=16.5&length=20&width=12&height=10"
    ).json()["data"]
    assert (data["zone"], data["dim_weight_lbs"], data["billable_weight_lbs"], data["weight_oz"]) == (
        8,
        17.27,
        17.27,
        16.5,
    )
    usps = {r["service"]: r["billable_weight_lbs"] for r in data["rates"] if r["carrier"] == "USPS"}
    assert usps == {"Ground Advantage": 14.46, "Priority Mail": 14.46, "Priority Mail Express": 14.46}


def test_heavy_package_leaves_out_services_it_exceeds(tenant: Tenant) -> None:
    data = tenant.get(f"{URL}?origin_zip=78701&destination_zip=10001&weight_oz=1600").json()["data"]  # 100 lb
    assert {r["carrier"] for r in data["rates"]} == {"UPS", "FedEx"}
    assert len(data["rates"]) == 6


ROUTE = "origin_zip=78701&destination_zip=10001"
BAD_INPUT = [
    ("destination_zip=10001&weight_oz=32", "origin_zip is required (a 5-digit US ZIP code)"),
    (
        "origin_zip=7870&destination_zip=10001&weight_oz=32",
        "origin_zip must be a 5-digit US ZIP code (got '7870')",
    ),
    (
        "origin_zip=78701&destination_zip=1000A&weight_oz=32",
        "destination_zip must be a 5-digit US ZIP code (got '1000A')",
    ),
    (
        "origin_zip=78701&destination_zip=10001-1234&weight_oz=32",
        "destination_zip must be a 5-digit US ZIP code (got '10001-1234')",
    ),
    (
        "origin_zip=00001&destination_zip=10001&weight_oz=32",
        "origin_zip 00001 is not a known US ZIP code (no ZIP prefix 000)",
    ),
    (ROUTE, "weight_oz is required (the package weight in ounces)"),
    (f"{ROUTE}&weight_oz=0", "weight_oz must be greater than 0 (got 0)"),
    (f"{ROUTE}&weight_oz=-3", "weight_oz must be greater than 0 (got -3)"),
    (f"{ROUTE}&weight_oz=heavy", "weight_oz must be a number of ounces (got 'heavy')"),
    (f"{ROUTE}&weight_oz=nan", "weight_oz must be a number of ounces (got 'nan')"),
    (f"{ROUTE}&weight_oz=inf", "weight_oz must be a number of ounces (got 'inf')"),
    (f"{ROUTE}&weight_oz=2401", "weight_oz 2401 is too heavy: no service takes over 150 lb (2400 oz)"),
    (f"{ROUTE}&weight_oz=32&length=12&width=8", "length, width and height go together: height missing"),
    (f"{ROUTE}&weight_oz=32&length=12&width=x&height=6", "width must be a number of inches (got 'x')"),
    (f"{ROUTE}&weight_oz=32&length=109&width=8&height=6", "length 109 in is over the 108 in carriers accept"),
    (
        f"{ROUTE}&weight_oz=32&length=100&width=100&height=100",
        "The package is too heavy for every service once its DIM weight is counted (billable 7194.24 lb)",
    ),
]


def test_bad_input_is_400(tenant: Tenant) -> None:
    for query, detail in BAD_INPUT:
        response = tenant.get(f"{URL}?{query}")
        assert (response.status_code, response.json()) == (400, {"detail": detail}), query


def test_needs_a_key(tenant: Tenant) -> None:
    assert tenant.client.get(f"{URL}?{EXAMPLE}").status_code == 401
