"""Request bodies and the documented pre-order rule object."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import StringConstraints, field_validator

from warpware.orders.schemas import StrictModel
from warpware.preorders.models import PreorderRule

HoldMode = Literal["split", "hold_entire"]
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PreorderRuleCreate(StrictModel):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    hold_mode: HoldMode = "hold_entire"
    release_date: dt.date | None = None

    @field_validator("release_date", mode="before")
    @classmethod
    def _calendar_date(cls, value: Any) -> Any:
        # Only YYYY-MM-DD: pydantic would also take a Unix timestamp or a date-time here.
        if value is not None and not (isinstance(value, str) and _DATE_RE.match(value)):
            raise ValueError("must be a date as YYYY-MM-DD, e.g. 2026-05-01")
        return value


def rule_read(rule: PreorderRule, held: int, released: int) -> dict[str, Any]:
    """The documented object, then when it was created and released."""
    return {
        "id": rule.id,
        "sku": rule.sku,
        "name": rule.name,
        "status": rule.status,
        "hold_mode": rule.hold_mode,
        "release_date": rule.release_date,
        "orders_held_count": held,
        "orders_released_count": released,
        "created_at": rule.created_at,
        "released_at": rule.released_at,
    }
