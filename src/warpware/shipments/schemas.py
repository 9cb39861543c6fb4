"""The request body of POST /shipments (what the Partner API reference documents, nothing looser)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from warpware.orders.schemas import EMAIL_RE, SOURCE_RE, AddressIn, StrictModel, Text255


class ShipTo(AddressIn):
    company: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not EMAIL_RE.match(value):
            raise ValueError("not a valid email address")
        return value or None


class ShipmentLine(StrictModel):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    quantity: int = Field(ge=1, le=1_000_000)
    description: Annotated[str, StringConstraints(max_length=300)] | None = None
    uom: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None


class ShipmentCreate(StrictModel):
    external_id: Text255
    source: str = Field(default="api", pattern=SOURCE_RE)
    warehouse_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    ship_to: ShipTo
    line_items: list[ShipmentLine] = Field(min_length=1, max_length=500)
    carrier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    service: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None = None
    note: Annotated[str, StringConstraints(max_length=5000)] | None = None
