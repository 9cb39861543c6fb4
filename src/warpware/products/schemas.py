"""Request bodies and the wire shape of products."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from warpware.orders.schemas import SOURCE_RE, StrictModel

Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
MAX_THRESHOLD = 1_000_000_000


class ProductUpsert(StrictModel):
    """PUT /products/{sku}: fields left out keep their values (a new product's name defaults to its SKU)."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    price: Decimal | None = Field(default=None, ge=0, le=Decimal("10000000"), max_digits=18, decimal_places=4)
    platform: str | None = Field(default=None, pattern=SOURCE_RE)
    low_stock_threshold: int | None = Field(default=None, ge=0, le=MAX_THRESHOLD)


def product_read(product: Any, inventory_count: int) -> dict[str, Any]:
    """The documented product object, then the per-SKU low-stock threshold (null: the client's)."""
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "price": product.price,
        "inventory_count": inventory_count,
        "platform": product.platform,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
        "low_stock_threshold": product.low_stock_threshold,
    }
