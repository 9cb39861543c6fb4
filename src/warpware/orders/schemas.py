"""Request bodies of the orders endpoints (what the Partner API reference documents, nothing looser)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Text255 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SOURCE_RE = r"^[a-z0-9][a-z0-9_.-]{0,39}$"


INT64 = 2**63


def _json_problem(value: Any) -> str | None:
    """What the databases or the JSON writer cannot hold: NUL characters, integers beyond 64 bits."""
    # Fast path, run by every model of a request: orjson writes NUL as \u0000 and refuses integers
    # past 53 bits, so a clean encoding without that escape proves there is nothing to find. Anything
    # else (a NUL, a literal backslash-u0000, a big integer, a value orjson cannot write) gets the walk.
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_STRICT_INTEGER)
    except TypeError:
        return _walk_for_json_problem(value)
    return _walk_for_json_problem(value) if b"\\u0000" in encoded else None


def _walk_for_json_problem(value: Any) -> str | None:
    if isinstance(value, str):
        return "text must not contain NUL (\\u0000) characters" if "\x00" in value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return "integers must fit in 64 bits" if not -INT64 <= value < INT64 else None
    if isinstance(value, dict):
        return next(
            (p for k, v in value.items() if (p := _walk_for_json_problem(k) or _walk_for_json_problem(v))),
            None,
        )
    if isinstance(value, list):
        return next((p for v in value if (p := _walk_for_json_problem(v))), None)
    return None


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        # PostgreSQL cannot store NUL in text or JSON; refuse it on both databases alike.
        problem = _json_problem(data)
        if problem:
            raise ValueError(problem)
        return data


class LineItemIn(StrictModel):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    name: Annotated[str, StringConstraints(max_length=300)] | None = None
    quantity: int = Field(ge=1, le=1_000_000)
    price: Decimal | None = Field(default=None, ge=0, le=Decimal("10000000"), max_digits=18, decimal_places=4)


class AddressIn(StrictModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    address1: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    address2: Annotated[str, StringConstraints(max_length=300)] | None = None
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    state: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    zip: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    country: str = Field(default="US", pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2 code")
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class OrderCreate(StrictModel):
    external_id: Text255
    line_items: list[LineItemIn] = Field(min_length=1, max_length=500)
    shipping_address: AddressIn
    customer_email: Annotated[str, StringConstraints(max_length=320)] | None = None
    customer_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    note: Annotated[str, StringConstraints(max_length=5000)] | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    metadata: dict[str, Any] = Field(default_factory=dict)
    source: str = Field(default="api", pattern=SOURCE_RE)

    @field_validator("customer_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and value != "" and not EMAIL_RE.match(value):
            raise ValueError("not a valid email address")
        return value or None

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class BulkOrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Items are validated one by one so that one bad order does not fail the others.
    orders: list[Any]


IMMUTABLE_FIELDS = ("shipping_address", "line_items")


class OrderUpdate(StrictModel):
    tracking_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None = None
    carrier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    status: Literal["shipped", "delivered", "hold", "cancelled"] | None = None
    note: Annotated[str, StringConstraints(max_length=5000)] | None = None
    metadata: dict[str, Any] | None = None
    hold_reason: Annotated[str, StringConstraints(max_length=1000)] | None = None


class CancelRequest(StrictModel):
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None


class OrderFilters(BaseModel):
    status: str | None = None
    tag: str | None = None
    external_id: str | None = None
    date_from: dt.datetime | None = None
    date_to: dt.datetime | None = None
    updated_since: dt.datetime | None = None
    tracking_number: str | None = None
    # The dashboard's filters (the Partner API does not set them).
    source: str | None = None
    connection_id: uuid.UUID | None = None
    search: str | None = None
    archived: bool = False

    def narrows(self) -> bool:
        """Whether any filter but archived is set."""
        return any(v not in (None, "") for k, v in self.model_dump().items() if k != "archived")


def line_read(line: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "price": line.price,
    }
    if line.uom is not None:
        data["uom"] = line.uom
    return data


def order_read(order: Any, lines: list[Any]) -> dict[str, Any]:
    """The full order object: every documented field, then everything else the order carries."""
    account_slug, _, sub_client_slug = order.client_ref.partition(":")
    return {
        "id": order.id,
        "external_id": order.external_id,
        "source": order.source,
        "status": order.status,
        "client_id": order.client_ref,
        "sub_client_id": sub_client_slug or None,
        "connection_id": order.connection_id,
        "line_items": [line_read(line) for line in lines],
        "customer_email": order.customer_email,
        "customer_name": order.customer_name,
        "shipping_address": order.shipping_address,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "service_level": order.service_level,
        "api_connection_id": order.api_connection_id,
        "route_destination_type": order.route_destination_type,
        "route_destination_label": order.route_destination_label,
        "route_assigned_by": order.route_assigned_by,
        "is_held": order.status == "hold",
        "hold_reason": order.hold_reason,
        "retry_count": order.retry_count,
        "error_message": order.error_message,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "processed_at": order.processed_at,
        "metadata": order.meta or {},
        "note": order.note,
        "tags": order.tags or [],
        "order_total": order.order_total,
        "line_count": order.line_count,
        "error_category": order.error_category,
        "hold_until": order.hold_until,
        "held_by": order.held_by,
        "channel_order_id": order.channel_order_id,
        "channel_connection_id": order.channel_connection_id,
        "destination_order_id": order.destination_order_id,
        "destination_status": order.destination_status,
        "shipped_at": order.shipped_at,
        "estimated_delivery": order.estimated_delivery,
        "delivered_at": order.delivered_at,
        "cancelled_at": order.cancelled_at,
        "cancel_reason": order.cancel_reason,
        "archived_at": order.archived_at,
        "parent_order_id": order.parent_order_id,
        "brokering_queue": order.brokering_queue,
        "is_duplicate_flag_cleared": order.duplicate_cleared_at is not None,
    }
