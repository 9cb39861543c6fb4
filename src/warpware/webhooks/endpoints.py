"""Partner API: webhook endpoints, their deliveries, and the account's notifications."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from warpware.accounts.auth import require_read, require_write
from warpware.accounts.domain import Principal
from warpware.db import Database
from warpware.kit.jsonio import envelope
from warpware.webhooks import service
from warpware.webhooks.schemas import (
    NotificationSettingsUpdate,
    WebhookCreate,
    WebhookUpdate,
    delivery_read,
    endpoint_read,
    notification_read,
    notification_settings_read,
)

router = APIRouter(tags=["webhooks"])


def _db(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.allow_private_webhooks)


@router.post("/webhooks", status_code=201, summary="Register a webhook endpoint (the secret is shown once)")
def create_webhook(
    body: WebhookCreate, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    allow_private = _allow_private(request)
    with _db(request).writing() as session:
        endpoint, secret = service.create_endpoint(session, principal, body, allow_private=allow_private)
    return envelope(endpoint_read(endpoint, secret=secret), status_code=201)


@router.get("/webhooks", summary="List webhook endpoints (secrets are never returned)")
def list_webhooks(request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        endpoints = service.list_endpoints(session, principal)
    return envelope([endpoint_read(e) for e in endpoints], {"total": len(endpoints)})


@router.get("/webhooks/{endpoint_id}", summary="Get a webhook endpoint")
def get_webhook(endpoint_id: str, request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        endpoint = service.get_endpoint(session, principal, endpoint_id)
    return envelope(endpoint_read(endpoint))


@router.patch("/webhooks/{endpoint_id}", summary="Change a webhook's events, or disable or re-enable it")
def update_webhook(
    endpoint_id: str, body: WebhookUpdate, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        endpoint = service.update_endpoint(session, principal, endpoint_id, body)
    return envelope(endpoint_read(endpoint))


@router.delete("/webhooks/{endpoint_id}", summary="Remove an endpoint; cancels its pending deliveries")
def delete_webhook(
    endpoint_id: str, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        service.delete_endpoint(session, principal, endpoint_id)
    return envelope({"id": endpoint_id, "deleted": True})


@router.post("/webhooks/{endpoint_id}/test", status_code=202, summary="Send a webhook.test event")
def test_webhook(
    endpoint_id: str, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        delivery = service.send_test(session, principal, endpoint_id)
    return envelope(delivery_read(delivery), status_code=202)


@router.get("/webhooks/{endpoint_id}/deliveries", summary="Recent deliveries and their status")
def list_deliveries(
    endpoint_id: str,
    request: Request,
    limit: int = Query(50, ge=1, le=200),
    status: Literal["pending", "delivered", "failed", "cancelled"] | None = None,
    principal: Principal = Depends(require_read),
) -> Response:
    with _db(request).reading() as session:
        deliveries = service.list_deliveries(session, principal, endpoint_id, limit=limit, status=status)
    return envelope([delivery_read(d) for d in deliveries], {"count": len(deliveries), "limit": limit})


@router.post(
    "/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Send a past delivery again (same event id and body)",
)
def redeliver(
    endpoint_id: str, delivery_id: str, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        delivery = service.redeliver(session, principal, endpoint_id, delivery_id)
    return envelope(delivery_read(delivery), status_code=202)


@router.get("/notifications", summary="Recent account notifications (order failures, disabled webhooks)")
def list_notifications(
    request: Request, limit: int = Query(50, ge=1, le=200), principal: Principal = Depends(require_read)
) -> Response:
    with _db(request).reading() as session:
        rows = service.recent_notifications(session, principal, limit=limit)
    return envelope([notification_read(n) for n in rows], {"count": len(rows)})


@router.get("/notification-settings", summary="Where notification email goes")
def get_notification_settings(request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        settings = service.get_notification_settings(session, principal)
    return envelope(notification_settings_read(settings))


@router.put("/notification-settings", summary="Set the account's notification recipients and SMTP server")
def put_notification_settings(
    body: NotificationSettingsUpdate, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    allow_private = _allow_private(request)
    with _db(request).writing() as session:
        settings = service.put_notification_settings(session, principal, body, allow_private=allow_private)
    return envelope(notification_settings_read(settings))
