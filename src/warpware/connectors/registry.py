"""Connection types → typed settings, typed credentials and the connector that uses them.

A connection row stores plain JSON; the registry validates it with the type's pydantic models (so a
bad setting is a 422 naming the field) and builds the connector a worker calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from warpware.connectors.base import Destination, InventoryPushTarget, TrackingWriter
from warpware.connectors.extensiv import ExtensivCredentials, ExtensivDestination, ExtensivSettings
from warpware.connectors.http_warehouse.destination import (
    HttpWarehouseCredentials,
    HttpWarehouseDestination,
    HttpWarehouseSettings,
)
from warpware.connectors.shipstation.client import ShipStationCredentials, ShipStationSettings
from warpware.connectors.shipstation.destination import ShipStationDestination


class SandboxSettings(BaseModel):
    """The bundled sandbox warehouse speaks Extensiv's REST shape; only its address is needed."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(pattern=r"^https?://")
    customer_id: int = 1
    facility_id: int = 1


class SandboxCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = "sandbox"
    client_secret: SecretStr = SecretStr("sandbox")
    # Signs tracking pushed to /hooks/connections/{id}/tracking (X-WarpWare-Signature).
    webhook_secret: SecretStr | None = None


def _sandbox(settings: SandboxSettings, credentials: SandboxCredentials) -> Destination:
    return ExtensivDestination(
        ExtensivSettings(
            base_url=settings.base_url, customer_id=settings.customer_id, facility_id=settings.facility_id
        ),
        ExtensivCredentials(client_id=credentials.client_id, client_secret=credentials.client_secret),
    )


class ShopifyChannelCredentials(BaseModel):
    """Admin API token for writeback, and the webhook signing secret (the previous one during a rotation)."""

    model_config = ConfigDict(extra="forbid")

    access_token: SecretStr
    webhook_secret: SecretStr
    previous_webhook_secret: SecretStr | None = None


class WooCommerceChannelCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consumer_key: SecretStr
    consumer_secret: SecretStr
    webhook_secret: SecretStr


def _shopify_writer(settings: Any, credentials: ShopifyChannelCredentials) -> TrackingWriter:
    from warpware.connectors.shopify import ShopifyCredentials, ShopifyTrackingWriter

    return ShopifyTrackingWriter(settings, ShopifyCredentials(access_token=credentials.access_token))


def _woocommerce_writer(settings: Any, credentials: WooCommerceChannelCredentials) -> TrackingWriter:
    from warpware.connectors.woocommerce import WooCommerceCredentials, WooCommerceTrackingWriter

    return WooCommerceTrackingWriter(
        settings,
        WooCommerceCredentials(
            consumer_key=credentials.consumer_key, consumer_secret=credentials.consumer_secret
        ),
    )


def _shopify_inventory(settings: Any, credentials: ShopifyChannelCredentials) -> InventoryPushTarget:
    from warpware.connectors.shopify import ShopifyCredentials
    from warpware.connectors.shopify.inventory import ShopifyInventoryTarget

    return ShopifyInventoryTarget(settings, ShopifyCredentials(access_token=credentials.access_token))


def _woocommerce_inventory(settings: Any, credentials: WooCommerceChannelCredentials) -> InventoryPushTarget:
    from warpware.connectors.woocommerce import WooCommerceCredentials
    from warpware.connectors.woocommerce.inventory import WooCommerceInventoryTarget

    return WooCommerceInventoryTarget(
        settings,
        WooCommerceCredentials(
            consumer_key=credentials.consumer_key, consumer_secret=credentials.consumer_secret
        ),
    )


def _edi_writer(settings: Any, credentials: Any) -> TrackingWriter:
    from warpware.channels.edi import EdiTrackingWriter

    return EdiTrackingWriter(settings, credentials)


def _csv_writer(settings: Any, credentials: Any) -> TrackingWriter:
    from warpware.channels.files import CsvTrackingWriter

    return CsvTrackingWriter(settings, credentials)


def _email_writer(settings: Any, credentials: Any) -> TrackingWriter:
    from warpware.channels.email import EmailTrackingWriter

    return EmailTrackingWriter(settings, credentials)


@dataclass(frozen=True)
class ConnectionType:
    name: str
    label: str
    settings_model: type[BaseModel]
    credentials_model: type[BaseModel]
    destination: Callable[[Any, Any], Destination] | None = None
    writer: Callable[[Any, Any], TrackingWriter] | None = None
    # Channels whose listed stock WarpWare sets (inventory sync); None: the channel lists no stock.
    inventory: Callable[[Any, Any], InventoryPushTarget] | None = None


DESTINATION_TYPES: dict[str, ConnectionType] = {
    "sandbox": ConnectionType("sandbox", "Sandbox warehouse", SandboxSettings, SandboxCredentials, _sandbox),
    "extensiv": ConnectionType(
        "extensiv",
        "Extensiv 3PL Warehouse Manager",
        ExtensivSettings,
        ExtensivCredentials,
        ExtensivDestination,
    ),
    "shipstation": ConnectionType(
        "shipstation", "ShipStation", ShipStationSettings, ShipStationCredentials, ShipStationDestination
    ),
    "http": ConnectionType(
        "http",
        "HTTP warehouse API",
        HttpWarehouseSettings,
        HttpWarehouseCredentials,
        HttpWarehouseDestination,
    ),
}


def _channel_types() -> dict[str, ConnectionType]:
    from warpware.channels.channel_settings import (
        CsvCredentials,
        CsvSettings,
        EdiCredentials,
        EdiSettings,
        EmailCredentials,
        EmailSettings,
    )
    from warpware.connectors.shopify import ShopifySettings
    from warpware.connectors.woocommerce import WooCommerceSettings

    return {
        "shopify": ConnectionType(
            "shopify",
            "Shopify store",
            ShopifySettings,
            ShopifyChannelCredentials,
            writer=_shopify_writer,
            inventory=_shopify_inventory,
        ),
        "woocommerce": ConnectionType(
            "woocommerce",
            "WooCommerce store",
            WooCommerceSettings,
            WooCommerceChannelCredentials,
            writer=_woocommerce_writer,
            inventory=_woocommerce_inventory,
        ),
        # File and email channels (warpware.channels): their writers send 856s, shipment files, emails.
        "edi": ConnectionType(
            "edi", "EDI X12 trading partner", EdiSettings, EdiCredentials, writer=_edi_writer
        ),
        "csv": ConnectionType(
            "csv", "CSV / Excel order files", CsvSettings, CsvCredentials, writer=_csv_writer
        ),
        "email": ConnectionType(
            "email", "Order email inbox", EmailSettings, EmailCredentials, writer=_email_writer
        ),
    }


CHANNEL_TYPES: dict[str, ConnectionType] = _channel_types()
CONNECTION_TYPES: dict[str, ConnectionType] = {**DESTINATION_TYPES, **CHANNEL_TYPES}


def connection_type(name: str) -> ConnectionType:
    try:
        return CONNECTION_TYPES[name]
    except KeyError:
        raise ValueError(
            f"unknown connection type {name!r}; known types: {', '.join(sorted(CONNECTION_TYPES))}"
        ) from None


def build_writer(type_name: str, settings: dict[str, Any], credentials: dict[str, Any]) -> TrackingWriter:
    kind = connection_type(type_name)
    if kind.writer is None:
        raise ValueError(f"{type_name} connections take no tracking writeback")
    return kind.writer(
        kind.settings_model.model_validate(settings), kind.credentials_model.model_validate(credentials)
    )


def takes_inventory(type_name: str) -> bool:
    """Whether connections of this type list stock that inventory sync can set."""
    kind = CONNECTION_TYPES.get(type_name)
    return kind is not None and kind.inventory is not None


def build_inventory_target(
    type_name: str, settings: dict[str, Any], credentials: dict[str, Any]
) -> InventoryPushTarget:
    kind = connection_type(type_name)
    if kind.inventory is None:
        raise ValueError(f"{type_name} connections list no stock to push to")
    return kind.inventory(
        kind.settings_model.model_validate(settings), kind.credentials_model.model_validate(credentials)
    )


def build_destination(type_name: str, settings: dict[str, Any], credentials: dict[str, Any]) -> Destination:
    kind = connection_type(type_name)
    if kind.destination is None:
        raise ValueError(f"{type_name} connections are channels, not destinations")
    return kind.destination(
        kind.settings_model.model_validate(settings), kind.credentials_model.model_validate(credentials)
    )
