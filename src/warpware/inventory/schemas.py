"""Request bodies and the wire shapes of stock levels."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator

from warpware.orders.schemas import StrictModel
from warpware.products.schemas import MAX_THRESHOLD, Sku

MAX_QUANTITY = 1_000_000_000
STATUSES = ("in_stock", "low_stock", "out_of_stock")
Warehouse = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class InventoryAdjust(StrictModel):
    sku: Sku
    adjustment: int = Field(
        ge=-MAX_QUANTITY, le=MAX_QUANTITY, description="Signed change to the units available"
    )
    warehouse: Warehouse | None = None
    reason: Reason | None = None

    @field_validator("adjustment", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        # JSON true/false and 2.5 are not adjustments (pydantic would take 2.0 and true as integers).
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("adjustment must be a whole number")
        if value == 0:
            raise ValueError("adjustment must not be 0")
        return value


class LevelSet(StrictModel):
    """POST /inventory/levels: a warehouse reports what it has on hand of a SKU."""

    sku: Sku
    quantity_on_hand: int = Field(ge=0, le=MAX_QUANTITY)
    warehouse: Warehouse | None = None
    reason: Reason | None = None

    @field_validator("quantity_on_hand", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("quantity_on_hand must be a whole number")
        return value


class SettingsUpdate(StrictModel):
    low_stock_threshold: int = Field(ge=0, le=MAX_THRESHOLD)


StatusFilter = Literal["in_stock", "low_stock", "out_of_stock"]


def inventory_read(row: Any) -> dict[str, Any]:
    """The documented inventory object, from a (level, product name, location, status) row."""
    level, name, location, status = row
    return {
        "sku": level.sku,
        "name": name,
        "quantity_available": level.on_hand - level.committed,
        "quantity_on_hand": level.on_hand,
        "quantity_committed": level.committed,
        "warehouse": location.name,
        "status": status,
        "updated_at": level.updated_at,
    }


def location_level_read(row: Any) -> dict[str, Any]:
    """The documented inventory-by-location object, then the location's id."""
    level, name, location, _status = row
    shopify_id = location.platform_location_id if location.platform == "shopify" else None
    return {
        "sku": level.sku,
        "name": name,
        "source_platform": location.platform,
        "inventory_quantity": level.on_hand,
        "quantity_available": level.on_hand - level.committed,
        "quantity_on_hand": level.on_hand,
        "quantity_committed": level.committed,
        "shopify_location_id": int(shopify_id) if shopify_id and shopify_id.isdigit() else None,
        "location_id": location.id,
    }
