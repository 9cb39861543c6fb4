"""Partner API /shipping/rates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from warpware.accounts.auth import require_read
from warpware.accounts.domain import Principal
from warpware.kit.jsonio import envelope
from warpware.rates.service import DISCLAIMER, Estimate, estimate

router = APIRouter(tags=["shipping"])


def estimate_read(result: Estimate) -> dict[str, Any]:
    return {
        "origin_zip": result.origin_zip,
        "destination_zip": result.destination_zip,
        "weight_oz": result.package.weight_oz,
        "billable_weight_lbs": result.billable_weight_lbs,
        "dim_weight_lbs": result.dim_weight_lbs,
        "zone": result.zone,
        "rates": [
            {
                "carrier": r.carrier,
                "service": r.service,
                "estimated_days": r.estimated_days,
                "rate_usd": r.rate_usd,
                "billable_weight_lbs": r.billable_weight_lbs,
            }
            for r in result.rates
        ],
        "disclaimer": DISCLAIMER,
    }


@router.get("/shipping/rates", summary="Estimated carrier rates for a package between two US ZIP codes")
def shipping_rates(
    origin_zip: str | None = Query(None, description="5-digit US ZIP code the package ships from"),
    destination_zip: str | None = Query(None, description="5-digit US ZIP code it ships to"),
    weight_oz: str | None = Query(None, description="Package weight in ounces"),
    length: str | None = Query(None, description="Inches; give all three dimensions or none"),
    width: str | None = Query(None, description="Inches"),
    height: str | None = Query(None, description="Inches"),
    _principal: Principal = Depends(require_read),
) -> Response:
    result = estimate(
        origin_zip=origin_zip,
        destination_zip=destination_zip,
        weight_oz=weight_oz,
        length=length,
        width=width,
        height=height,
    )
    return envelope(estimate_read(result))
