"""Inbound channel webhooks. The raw body is what is signed, so it is read before anything parses it."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from warpware.channels import service
from warpware.connections.models import Connection
from warpware.connections.service import credentials_of
from warpware.connectors.shopify import (
    ChannelPayloadError,
    parse_shopify_order_event,
    read_shopify_headers,
    verify_shopify_hmac,
)
from warpware.connectors.woocommerce import (
    is_woocommerce_ping,
    parse_woocommerce_order,
    read_woocommerce_headers,
    verify_woocommerce_signature,
)
from warpware.db import Database
from warpware.errors import BadRequest, NotFound, Unauthorized, Unprocessable
from warpware.kit.ids import parse_uuid
from warpware.kit.jsonio import json_response

router = APIRouter(tags=["channels"])


def _connection(request: Request, connection_id: str, kind: str) -> Connection:
    database: Database = request.app.state.database
    parsed = parse_uuid(connection_id)
    with database.reading() as session:
        connection = session.get(Connection, parsed) if parsed else None
    if connection is None or connection.deleted_at is not None or connection.type != kind:
        raise NotFound(f"No {kind} connection {connection_id}")
    return connection


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Malformed JSON in webhook body") from None


def _answer(result: service.ChannelResult) -> Response:
    return json_response(
        {
            "data": {
                "outcome": result.outcome,
                "order_id": str(result.order_id) if result.order_id else None,
                "detail": result.detail,
            },
            "meta": {},
        }
    )


@router.post(
    "/channels/shopify/{connection_id}/webhooks", summary="Shopify orders/create, updated, cancelled"
)
async def shopify_webhook(connection_id: str, request: Request) -> Response:
    body = await request.body()
    connection = _connection(request, connection_id, "shopify")
    credentials = credentials_of(connection)
    secrets = [
        s for s in (credentials.get("webhook_secret"), credentials.get("previous_webhook_secret")) if s
    ]
    headers = read_shopify_headers(request.headers)
    if not verify_shopify_hmac(body, headers.hmac_sha256, secrets):
        raise Unauthorized("X-Shopify-Hmac-Sha256 does not match this connection's webhook secret")
    payload = _json(body)
    database: Database = request.app.state.database
    with database.writing() as session:
        if not service.claim_delivery(session, connection, headers.webhook_id, headers.topic):
            return _answer(service.ChannelResult("duplicate_delivery", detail="webhook already received"))
        try:
            event = parse_shopify_order_event(headers.topic, payload)
        except ChannelPayloadError as exc:
            raise Unprocessable(f"Shopify order could not be read: {exc}") from None
        if event.is_cancellation:
            result = service.cancel_from_channel(
                session, connection, event.channel_order_id, event.cancel_reason
            )
        elif event.order is not None and event.topic == "orders/create":
            result = service.ingest_channel_order(session, connection, event.order)
        elif event.order is not None:
            # orders/updated: new orders we missed come in; known ones keep what we have.
            result = service.ingest_channel_order(session, connection, event.order)
            if result.outcome == "duplicate":
                result = service.ChannelResult("ignored", result.order_id, "update of a known order")
        else:
            result = service.ChannelResult("ignored", detail=f"topic {headers.topic} not handled")
        service.finish_delivery(session, connection, headers.webhook_id, result)
    return _answer(result)


@router.post(
    "/channels/woocommerce/{connection_id}/webhooks", summary="WooCommerce order.created / order.updated"
)
async def woocommerce_webhook(connection_id: str, request: Request) -> Response:
    body = await request.body()
    connection = _connection(request, connection_id, "woocommerce")
    if is_woocommerce_ping(request.headers.get("content-type"), body):
        # Woo pings a new webhook unsigned and expects a 200.
        return json_response({"data": {"outcome": "ping"}, "meta": {}})
    headers = read_woocommerce_headers(request.headers)
    secret = str(credentials_of(connection).get("webhook_secret") or "")
    if not verify_woocommerce_signature(body, headers.signature, secret):
        raise Unauthorized("X-WC-Webhook-Signature does not match this connection's webhook secret")
    payload = _json(body)
    database: Database = request.app.state.database
    with database.writing() as session:
        if not service.claim_delivery(session, connection, headers.delivery_id, headers.topic):
            return _answer(service.ChannelResult("duplicate_delivery", detail="webhook already received"))
        try:
            order = parse_woocommerce_order(payload)
        except ChannelPayloadError as exc:
            raise Unprocessable(f"WooCommerce order could not be read: {exc}") from None
        status = payload.get("status") if isinstance(payload, dict) else None
        if status == "cancelled" and order.channel_order_id:
            result = service.cancel_from_channel(
                session, connection, order.channel_order_id, "Cancelled in WooCommerce"
            )
        else:
            result = service.ingest_channel_order(session, connection, order)
        service.finish_delivery(session, connection, headers.delivery_id, result)
    return _answer(result)
