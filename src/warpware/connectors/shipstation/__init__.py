"""ShipStation v1: a fulfillment destination (createorder upsert out, shipments and SHIP_NOTIFY back)."""

from warpware.connectors.shipstation.client import ShipStationCredentials, ShipStationSettings
from warpware.connectors.shipstation.destination import ShipStationDestination, build_order_body
from warpware.connectors.shipstation.shipments import (
    ShipmentTracking,
    ShipNotifyError,
    ShipNotifyEvent,
    parse_ship_notify,
    safe_resource_path,
)
from warpware.connectors.shipstation.throttle import LimiterBusy, SlidingWindowLimiter, account_limiter

__all__ = [
    "LimiterBusy",
    "ShipNotifyError",
    "ShipNotifyEvent",
    "ShipStationCredentials",
    "ShipStationDestination",
    "ShipStationSettings",
    "ShipmentTracking",
    "SlidingWindowLimiter",
    "account_limiter",
    "build_order_body",
    "parse_ship_notify",
    "safe_resource_path",
]
