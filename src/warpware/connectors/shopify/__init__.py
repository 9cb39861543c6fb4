"""Shopify: order webhooks in (signed REST Order JSON); tracking and stock out (Admin GraphQL)."""

from warpware.connectors.shopify.carriers import is_known_shopify_carrier, shopify_carrier_company
from warpware.connectors.shopify.fulfillment import ShopifyTrackingWriter
from warpware.connectors.shopify.graphql import ShopifyCredentials, ShopifySettings
from warpware.connectors.shopify.orders import (
    SHOPIFY_ORDER_TOPICS,
    ShopifyOrderEvent,
    ShopifyOrderTopic,
    parse_shopify_order,
    parse_shopify_order_event,
)
from warpware.connectors.shopify.payload import ChannelPayloadError
from warpware.connectors.shopify.webhooks import (
    ShopifyWebhookHeaders,
    read_shopify_headers,
    verify_shopify_hmac,
)

__all__ = [
    "SHOPIFY_ORDER_TOPICS",
    "ChannelPayloadError",
    "ShopifyCredentials",
    "ShopifyOrderEvent",
    "ShopifyOrderTopic",
    "ShopifySettings",
    "ShopifyTrackingWriter",
    "ShopifyWebhookHeaders",
    "is_known_shopify_carrier",
    "parse_shopify_order",
    "parse_shopify_order_event",
    "read_shopify_headers",
    "shopify_carrier_company",
    "verify_shopify_hmac",
]
