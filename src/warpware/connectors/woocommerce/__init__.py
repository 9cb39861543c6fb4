"""WooCommerce: order webhooks in (signed wc/v3 JSON); tracking (customer note) and stock out."""

from warpware.connectors.shopify.payload import ChannelPayloadError
from warpware.connectors.woocommerce.client import WooCommerceCredentials, WooCommerceSettings
from warpware.connectors.woocommerce.orders import parse_woocommerce_order
from warpware.connectors.woocommerce.webhooks import (
    WooCommerceWebhookHeaders,
    is_woocommerce_ping,
    read_woocommerce_headers,
    verify_woocommerce_signature,
)
from warpware.connectors.woocommerce.writeback import WooCommerceTrackingWriter, shipped_note

__all__ = [
    "ChannelPayloadError",
    "WooCommerceCredentials",
    "WooCommerceSettings",
    "WooCommerceTrackingWriter",
    "WooCommerceWebhookHeaders",
    "is_woocommerce_ping",
    "parse_woocommerce_order",
    "read_woocommerce_headers",
    "shipped_note",
    "verify_woocommerce_signature",
]
