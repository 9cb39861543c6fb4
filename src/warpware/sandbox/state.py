"""The sandbox warehouse's memory: orders, tokens, counters and the fault switches, behind one lock.

State lives in process memory on purpose: the sandbox stands in for an external system, and a restart
of that system losing its orders is a situation our service must survive anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any

from warpware.sandbox.config import SandboxConfig, SandboxFaults, SandboxSettings

STATUS_OPEN = 0
STATUS_CLOSED = 1
STATUS_CANCELED = 2

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DEFAULT_MODES = {"UPS": "Ground", "FedEx": "FedEx Ground", "USPS": "Priority Mail"}


class SandboxError(Exception):
    """An answer other than success, in the shape Extensiv uses for its errors."""

    def __init__(
        self, status_code: int, error_code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code
        self.message = message
        self.headers = headers or {}


@dataclass
class Label:
    label_id: str
    tracking_number: str | None
    carrier: str | None
    label_url: str | None
    label_format: str | None


@dataclass
class StoredOrder:
    order_id: int
    reference_num: str
    received: dict[str, Any]
    created_at: dt.datetime
    status: int | str = STATUS_OPEN
    is_closed: bool = False
    # Set when the admin API forced a status: the order then stays as told and never ships by itself.
    status_forced: bool = False
    ship_date: dt.datetime | None = None
    carrier: str | None = None
    mode: str | None = None
    tracking_number: str | None = None
    cancel_reason: str | None = None
    labels: list[Label] = field(default_factory=list)
    version: int = 1
    last_modified: dt.datetime | None = None

    @property
    def etag(self) -> str:
        return f'W/"{self.order_id}-{self.version}"'


def normalize_carrier(value: Any) -> str:
    text = str(value or "").strip()
    lowered = text.lower().replace(" ", "")
    if not lowered or lowered.startswith("ups"):
        return "UPS"
    if lowered.startswith("fedex"):
        return "FedEx"
    if lowered.startswith("usps") or "postal" in lowered:
        return "USPS"
    return text


def tracking_number_for(carrier: str, order_id: int, reference_num: str) -> str:
    """A tracking number in the carrier's real format, derived from the order so reruns repeat it."""
    digest = hashlib.sha256(f"{carrier}:{order_id}:{reference_num}".encode()).digest()
    number = int.from_bytes(digest, "big")
    if carrier == "UPS":
        chars = []
        for _ in range(16):
            number, index = divmod(number, 36)
            chars.append(_ALNUM[index])
        return "1Z" + "".join(chars)
    if carrier == "FedEx":
        return f"{number % 10**12:012d}"
    if carrier == "USPS":
        # USPS IMpb numbers are 22 digits; 9400 is the Priority/First-Class service prefix.
        return "9400" + f"{number % 10**18:018d}"
    return f"{number % 10**10:010d}"


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self._config = config
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.faults: SandboxFaults = self._config.faults.model_copy()
            self.settings: SandboxSettings = self._config.settings.model_copy()
            self.orders: dict[int, StoredOrder] = {}
            self.order_ids_by_reference: dict[str, int] = {}
            self.create_attempts: dict[str, int] = {}
            self.tokens: dict[str, float] = {}
            self.token_requests = 0
            self.tokens_issued = 0
            self.api_requests = 0
            self.create_calls = 0
            self.next_order_id = self._config.first_order_id

    # -- credentials -------------------------------------------------------------------------------

    def credentials_accepted(self, client_id: str, client_secret: str) -> bool:
        if self._config.client_id is not None and self._config.client_secret is not None:
            return secrets.compare_digest(client_id, self._config.client_id) and secrets.compare_digest(
                client_secret, self._config.client_secret
            )
        return bool(client_id and client_secret)

    def issue_token(self) -> tuple[str, int]:
        token = secrets.token_urlsafe(24)
        with self.lock:
            ttl = self.settings.token_ttl_seconds
            self.tokens[token] = time.monotonic() + ttl
            self.tokens_issued += 1
        return token, ttl

    def token_valid(self, token: str) -> bool:
        with self.lock:
            expires = self.tokens.get(token)
            return expires is not None and time.monotonic() < expires

    def revoke_tokens(self) -> int:
        with self.lock:
            count = len(self.tokens)
            self.tokens.clear()
            return count

    # -- faults --------------------------------------------------------------------------------------

    def count_request(self, *, token_endpoint: bool) -> tuple[SandboxFaults, bool]:
        """Count one API request; return the faults in force and whether this request is rate limited."""
        with self.lock:
            self.api_requests += 1
            if token_endpoint:
                self.token_requests += 1
            faults = self.faults.model_copy()
            limited = False
            if self.faults.rate_limit_next > 0:
                self.faults.rate_limit_next -= 1
                limited = True
            elif _every_nth(self.api_requests, self.faults.rate_limit_rate):
                limited = True
            return faults, limited

    def count_create_call(self) -> bool:
        """Count one create call; True when the error faults say this one answers 500."""
        with self.lock:
            self.create_calls += 1
            if self.faults.error_next > 0:
                self.faults.error_next -= 1
                return True
            return _every_nth(self.create_calls, self.faults.error_rate)

    # -- orders --------------------------------------------------------------------------------------

    def record_attempt(self, reference_num: str) -> None:
        with self.lock:
            self.create_attempts[reference_num] = self.create_attempts.get(reference_num, 0) + 1

    def create_order(self, reference_num: str, body: dict[str, Any]) -> StoredOrder:
        now = dt.datetime.now(dt.UTC)
        with self.lock:
            existing = self.order_ids_by_reference.get(reference_num)
            if existing is not None:
                # Extensiv itself accepts duplicates; the sandbox refuses them so a double send shows.
                raise SandboxError(
                    409,
                    "DuplicateReferenceNum",
                    f"An order with referenceNum {reference_num} already exists (orderId {existing}).",
                )
            order = StoredOrder(
                order_id=self.next_order_id,
                reference_num=reference_num,
                received=body,
                created_at=now,
                last_modified=now,
            )
            self.next_order_id += 1
            self.orders[order.order_id] = order
            self.order_ids_by_reference[reference_num] = order.order_id
            return order

    def read_order(self, order_id: int) -> StoredOrder:
        """The order as it stands now; an order whose ship time has come ships on this read."""
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise SandboxError(404, "NotFound", f"Order {order_id} was not found.")
            self._ship_if_due(order)
            return order

    def find_orders(
        self, reference_num: str | None = None, order_id: int | None = None, *, ship: bool = True
    ) -> list[StoredOrder]:
        """Orders matching the filters; `ship=False` looks without shipping (the admin API observes only)."""
        with self.lock:
            found = []
            for order in self.orders.values():
                if reference_num is not None and order.reference_num != reference_num:
                    continue
                if order_id is not None and order.order_id != order_id:
                    continue
                if ship:
                    self._ship_if_due(order)
                found.append(order)
            return found

    def cancel_order(self, order_id: int, if_match: str | None, reason: str | None) -> StoredOrder:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise SandboxError(404, "NotFound", f"Order {order_id} was not found.")
            self._ship_if_due(order)
            if if_match is not None and if_match != order.etag:
                raise SandboxError(
                    412,
                    "PreconditionFailed",
                    f"If-Match {if_match} does not match the order's ETag {order.etag}.",
                )
            if order.status == STATUS_CANCELED:
                return order
            if order.status == STATUS_CLOSED:
                raise SandboxError(400, "OrderClosed", f"Order {order_id} is closed and cannot be canceled.")
            order.status = STATUS_CANCELED
            order.is_closed = True
            order.cancel_reason = reason
            self._touch(order)
            return order

    def attach_label(self, order_id: int, label: Label) -> bool:
        """Store a label on the order; True when it is new, False when it replaced one with its id."""
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise SandboxError(404, "NotFound", f"Order {order_id} was not found.")
            self._ship_if_due(order)
            if order.status == STATUS_CANCELED:
                raise SandboxError(400, "OrderCanceled", f"Order {order_id} is canceled; labels are refused.")
            if order.status == STATUS_CLOSED:
                raise SandboxError(400, "OrderClosed", f"Order {order_id} is closed; labels are refused.")
            replaced = [i for i, kept in enumerate(order.labels) if kept.label_id == label.label_id]
            for index in replaced:
                order.labels[index] = label
            if not replaced:
                order.labels.append(label)
            self._touch(order)
            return not replaced

    def force_status(self, order_id: int, status: int | str, is_closed: bool | None) -> StoredOrder:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise SandboxError(404, "NotFound", f"Order {order_id} was not found.")
            order.status = status
            order.status_forced = True
            order.is_closed = (
                is_closed if is_closed is not None else status in (STATUS_CLOSED, STATUS_CANCELED)
            )
            self._touch(order)
            return order

    def _ship_if_due(self, order: StoredOrder) -> None:
        if order.status != STATUS_OPEN or order.status_forced:
            return
        now = dt.datetime.now(dt.UTC)
        if (now - order.created_at).total_seconds() < self.settings.ship_delay:
            return
        routing = order.received.get("routingInfo")
        routing = routing if isinstance(routing, dict) else {}
        # A pre-generated label decides carrier and tracking, as it would at a real warehouse.
        label = next((kept for kept in order.labels if kept.tracking_number), None)
        carrier = normalize_carrier(label.carrier if label and label.carrier else routing.get("carrier"))
        order.carrier = carrier
        order.mode = str(routing.get("mode") or _DEFAULT_MODES.get(carrier, "Ground"))
        order.tracking_number = (
            label.tracking_number
            if label and label.tracking_number
            else tracking_number_for(carrier, order.order_id, order.reference_num)
        )
        order.status = STATUS_CLOSED
        order.is_closed = True
        order.ship_date = now
        self._touch(order)

    def _touch(self, order: StoredOrder) -> None:
        order.version += 1
        order.last_modified = dt.datetime.now(dt.UTC)


def _every_nth(count: int, rate: float) -> bool:
    # Fires when count * rate crosses an integer: rate 0.5 fires on calls 2, 4, 6…, rate 1 on every call.
    if rate <= 0:
        return False
    return int(count * rate + 1e-9) > int((count - 1) * rate + 1e-9)


def rate_limited_error(faults: SandboxFaults) -> SandboxError:
    if faults.retry_after_http_date:
        when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=faults.retry_after_seconds)
        retry_after = format_datetime(when, usegmt=True)
    else:
        retry_after = str(faults.retry_after_seconds)
    return SandboxError(
        429, "TooManyRequests", "Rate limit exceeded; retry later.", headers={"Retry-After": retry_after}
    )
