"""The simulate request: how many test orders, and optionally their lines and ship-to address."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from warpware.orders.schemas import SOURCE_RE, AddressIn, StrictModel

MAX_SIMULATED = 100


class SimulatedLineIn(StrictModel):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    quantity: int = Field(ge=1, le=1_000_000)
    name: Annotated[str, StringConstraints(max_length=300)] | None = None
    description: Annotated[str, StringConstraints(max_length=300)] | None = (
        None  # the reference's word for name
    )
    price: Decimal | None = Field(default=None, ge=0, le=Decimal("10000000"), max_digits=18, decimal_places=4)


class SimulateRequest(StrictModel):
    source: str = Field(default="api", pattern=SOURCE_RE)
    count: int = 1
    line_items: list[SimulatedLineIn] | None = Field(default=None, min_length=1, max_length=500)
    ship_to: AddressIn | None = None

    @field_validator("count")
    @classmethod
    def _count(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        if value > MAX_SIMULATED:
            raise ValueError(f"at most {MAX_SIMULATED} test orders per request (got {value})")
        return value
