"""Reading ShipStation shipments into TrackingUpdates, and the SHIP_NOTIFY webhook, which is unsigned:
its body is only a trigger, and its resource_url is followed only on our own ShipStation host."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from warpware.connectors.base import TrackingUpdate

NO_SHIPMENT = "awaiting_shipment"


class ShipNotifyError(ValueError):
    """A SHIP_NOTIFY body we will not act on: malformed, or pointing somewhere we must not go."""


@dataclass(frozen=True)
class ShipNotifyEvent:
    resource_url: str
    resource_type: str


@dataclass(frozen=True)
class ShipmentTracking:
    """One shipment from a SHIP_NOTIFY fetch: which of our orders it is for, and what it says."""

    reference: str | None
    destination_order_id: str | None
    order_number: str | None
    update: TrackingUpdate


def parse_ship_notify(raw_body: bytes) -> ShipNotifyEvent:
    try:
        body = json.loads(raw_body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ShipNotifyError("SHIP_NOTIFY body is not JSON") from None
    if not isinstance(body, dict):
        raise ShipNotifyError("SHIP_NOTIFY body is not a JSON object")
    url, kind = body.get("resource_url"), body.get("resource_type")
    if not isinstance(url, str) or not url or not isinstance(kind, str) or not kind:
        raise ShipNotifyError("SHIP_NOTIFY body needs a resource_url and a resource_type")
    return ShipNotifyEvent(resource_url=url, resource_type=kind)


def safe_resource_path(resource_url: str, base_url: str) -> str:
    """The path and query of `resource_url` when it points at `base_url`'s own host, else ShipNotifyError.

    The caller rebuilds the URL on base_url from what this returns, so nothing in the webhook body
    (other hosts, ports, credentials, backslash tricks) ever decides where our API key is sent.
    """
    if any(ch in resource_url for ch in "\\\r\n\t ") or len(resource_url) > 2000:
        raise ShipNotifyError("resource_url contains characters a ShipStation URL never has")
    try:
        target, base = urlsplit(resource_url), urlsplit(base_url)
        target_port, base_port = target.port, base.port
    except ValueError:
        raise ShipNotifyError("resource_url is not a valid URL") from None
    same_host = (
        target.scheme == base.scheme
        and "@" not in target.netloc
        and (target.hostname or "") == (base.hostname or "")
        and (target_port or _default_port(target.scheme)) == (base_port or _default_port(base.scheme))
    )
    if not same_host:
        raise ShipNotifyError(f"resource_url is not on {base.scheme}://{base.netloc}; refusing to follow it")
    if target.path != "/shipments":
        raise ShipNotifyError("resource_url is not a shipments resource")
    return f"{target.path}?{target.query}" if target.query else target.path


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def shipment_list(body: object) -> tuple[list[Mapping[str, Any]], int]:
    """The shipments of a list response and its page count; an unexpected shape reads as none."""
    if not isinstance(body, Mapping):
        return [], 1
    shipments = body.get("shipments")
    pages = body.get("pages")
    items = [s for s in shipments if isinstance(s, Mapping)] if isinstance(shipments, list) else []
    return items, pages if isinstance(pages, int) and not isinstance(pages, bool) and pages > 0 else 1


def tracking_from_shipment(shipment: Mapping[str, Any]) -> TrackingUpdate:
    return TrackingUpdate(
        raw_status="shipped",
        status="shipped",
        carrier=_text(shipment.get("carrierCode")),
        tracking_number=_text(shipment.get("trackingNumber")),
        service_level=_text(shipment.get("serviceCode")),
        shipped_at=_ship_date(shipment.get("shipDate")),
    )


def latest_live_shipment(
    shipments: list[Mapping[str, Any]], reference: str | None
) -> Mapping[str, Any] | None:
    """The newest shipment that is not voided (and is for `reference`, when given)."""
    live = [
        s
        for s in shipments
        if s.get("voided") is not True and (reference is None or s.get("orderKey") == reference)
    ]
    return max(live, key=lambda s: str(s.get("createDate") or ""), default=None)


def _text(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


def _ship_date(value: object) -> dt.datetime | None:
    # shipDate is a calendar date ("2026-01-17", sometimes with a midnight time); midnight UTC stands in.
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
