"""The request body and wire shapes of shipping labels."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator

from warpware.orders.schemas import StrictModel


class LabelCreate(StrictModel):
    tracking_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    carrier: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    service_level: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None = None
    label_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://[^\s]+$")
    label_format: Literal["pdf", "zpl", "epl", "png"] | None = None
    weight: Decimal | None = Field(default=None, ge=0, le=Decimal("1000000"), max_digits=18, decimal_places=4)
    weight_unit: Literal["oz", "lb", "g", "kg"] | None = None
    cost: Decimal | None = Field(default=None, ge=0, le=Decimal("1000000"), max_digits=18, decimal_places=4)
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")

    @field_validator("label_format", "weight_unit", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


def label_read(label: Any) -> dict[str, Any]:
    """A label as GET /orders/{id}/labels lists it (exactly the documented fields)."""
    return {
        "id": label.id,
        "tracking_number": label.tracking_number,
        "carrier": label.carrier,
        "service_level": label.service_level,
        "label_url": label.label_url,
        "passed_to_extensiv": label.passed_to_extensiv,
        "passed_to_extensiv_at": label.passed_to_extensiv_at,
    }
