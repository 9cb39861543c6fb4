"""The contracts every connector meets: DTOs at the boundary, one Protocol per capability, typed errors.

Connectors never touch the database. The worker calls them with DTOs and turns their typed errors into
retries (RetryableConnectorError) or a failed order that waits for a person (PermanentConnectorError).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol

ErrorCategory = Literal["rate_limit", "validation", "auth", "network_timeout", "server"]


@dataclass(frozen=True)
class Address:
    name: str
    address1: str
    city: str
    state: str
    zip: str
    country: str = "US"
    address2: str | None = None
    phone: str | None = None
    company: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class LineItem:
    sku: str
    quantity: int
    price: Decimal | None = None
    name: str | None = None
    uom: str | None = None
    # The channel's own line identifier (Shopify line item id, X12 PO101), kept for writeback.
    channel_line_id: str | None = None


@dataclass(frozen=True)
class NormalizedOrder:
    """What every channel produces from its own format; the one shape that enters the pipeline."""

    external_id: str
    source: str
    line_items: tuple[LineItem, ...]
    shipping_address: Address
    customer_email: str | None = None
    customer_name: str | None = None
    note: str | None = None
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    # The channel's own id for the order (Shopify order id, WooCommerce id, PO number), for dedup
    # and writeback; external_id is what the customer sees.
    channel_order_id: str | None = None
    service_level: str | None = None
    carrier: str | None = None
    order_date: dt.date | None = None


@dataclass(frozen=True)
class OutboundOrder:
    """An order as a destination receives it. `reference` is our order id: the idempotency key."""

    reference: str
    external_id: str
    line_items: tuple[LineItem, ...]
    shipping_address: Address
    customer_email: str | None = None
    customer_name: str | None = None
    note: str | None = None
    carrier: str | None = None
    service_level: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubmitResult:
    destination_order_id: str
    raw_status: str | None = None
    response_status: int | None = None
    # True when the destination already had this reference (a resend after a crash).
    already_existed: bool = False


@dataclass(frozen=True)
class TrackingUpdate:
    """What a destination says about an order it holds. `status` is ours, `raw_status` is theirs."""

    raw_status: str
    status: Literal["processing", "shipped", "delivered", "cancelled", "failed"]
    carrier: str | None = None
    tracking_number: str | None = None
    service_level: str | None = None
    shipped_at: dt.datetime | None = None
    estimated_delivery: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class ShipmentNotice:
    """Tracking to write back to the channel an order came from."""

    order_id: str
    external_id: str
    channel_order_id: str | None
    carrier: str | None
    tracking_number: str
    service_level: str | None = None
    tracking_url: str | None = None
    shipped_at: dt.datetime | None = None
    line_items: tuple[LineItem, ...] = ()


@dataclass(frozen=True)
class Label:
    label_id: str
    tracking_number: str | None
    carrier: str | None
    label_url: str | None
    label_format: str | None = None


@dataclass(frozen=True)
class InventoryLevelPush:
    """The units a sales channel should list for one SKU (available = on hand − committed, never < 0)."""

    sku: str
    available: int


InventoryPushOutcome = Literal["pushed", "not_found", "failed"]


@dataclass(frozen=True)
class SkuPushResult:
    """What became of one SKU: `pushed` (the channel now lists `available`), `not_found` (the channel
    sells nothing with that SKU) or `failed` (the channel refused this SKU; `detail` says why)."""

    sku: str
    outcome: InventoryPushOutcome
    detail: str | None = None


@dataclass(frozen=True)
class InventoryPushResult:
    results: tuple[SkuPushResult, ...]

    def by_sku(self) -> dict[str, SkuPushResult]:
        return {result.sku: result for result in self.results}


class ConnectorError(Exception):
    """A remote call failed. `category` is one of our error categories."""

    category: ErrorCategory = "server"

    def __init__(
        self, message: str, *, category: ErrorCategory | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if category is not None:
            self.category = category
        self.status_code = status_code


class RetryableConnectorError(ConnectorError):
    """Worth trying again later (timeouts, 429, 5xx). `retry_after` in seconds, when the remote said."""

    def __init__(
        self,
        message: str,
        *,
        category: ErrorCategory = "server",
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, category=category, status_code=status_code)
        self.retry_after = retry_after


class PermanentConnectorError(ConnectorError):
    """Sending again will not help until a person changes something (validation, auth)."""


class InventoryPushInterrupted(ConnectorError):
    """A push of several SKUs stopped part way: `settled` are the SKUs the channel already answered for
    (recorded as they are), `cause` is what stopped the rest (retry them if it is retryable)."""

    def __init__(self, cause: ConnectorError, settled: Sequence[SkuPushResult]) -> None:
        super().__init__(cause.message, category=cause.category, status_code=cause.status_code)
        self.cause = cause
        self.settled = tuple(settled)


class Destination(Protocol):
    """A fulfillment system orders are sent to (Extensiv, ShipStation, an HTTP warehouse, the sandbox)."""

    def submit(self, order: OutboundOrder) -> SubmitResult:
        """Create the order at the destination, idempotently on `order.reference`."""
        ...

    def cancel(self, reference: str, destination_order_id: str | None) -> None:
        """Cancel the order at the destination; cancelling an unknown or cancelled order is not an error."""
        ...

    def poll_tracking(self, reference: str, destination_order_id: str | None) -> TrackingUpdate | None:
        """The destination's current view of the order, or None when it has nothing new to say."""
        ...

    def test(self) -> None:
        """Make one cheap authenticated call; raise a ConnectorError when the connection does not work."""
        ...


class LabelSink(Protocol):
    """A destination that accepts pre-generated shipping labels after an order is pushed."""

    def attach_label(self, destination_order_id: str, label: Label) -> None: ...


class TrackingWriter(Protocol):
    """A sales channel tracking is written back to when an order ships."""

    def write_tracking(self, notice: ShipmentNotice) -> None: ...


class InventoryPushTarget(Protocol):
    """A sales channel whose listed stock WarpWare sets (Shopify inventory quantities, WooCommerce stock).

    `push_inventory` sets the absolute units of each SKU, so sending the same levels twice does no
    harm. It returns one result per SKU. A failure that stops the whole call raises a typed error
    (RetryableConnectorError for 429/5xx/timeouts, PermanentConnectorError for refused credentials);
    one that stops it after some SKUs were settled raises InventoryPushInterrupted carrying them.
    """

    def push_inventory(self, levels: Sequence[InventoryLevelPush]) -> InventoryPushResult: ...

    def close(self) -> None:
        """Release the HTTP client."""
        ...
