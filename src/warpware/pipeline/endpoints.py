"""Pipeline actions on orders, order tracking, health, and the inbound tracking hook of a connection."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.responses import Response

from warpware.accounts.auth import actor_for, require_read, require_write
from warpware.accounts.domain import Principal
from warpware.connections import service as connections_service
from warpware.connections.models import Connection
from warpware.connectors.base import TrackingUpdate
from warpware.db import Database
from warpware.errors import NotFound, Unauthorized, Unprocessable
from warpware.kit.ids import parse_uuid
from warpware.kit.jsonio import envelope
from warpware.orders import repository as orders_repository
from warpware.orders import service as orders_service
from warpware.pipeline import service
from warpware.pipeline.tracking import apply_tracking

router = APIRouter(tags=["pipeline"])
hooks = APIRouter(tags=["inbound hooks"])


def _db(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connection_id: str


def _short(order: Any) -> dict[str, Any]:
    return {
        "id": order.id,
        "status": order.status,
        "is_held": order.status == "hold",
        "hold_reason": order.hold_reason,
        "retry_count": order.retry_count,
        "connection_id": order.connection_id,
    }


@router.post("/orders/{order_id}/hold", summary="Hold an order that has not been sent")
def hold_order(
    order_id: str,
    request: Request,
    body: HoldRequest | None = None,
    principal: Principal = Depends(require_write),
) -> Response:
    with _db(request).writing() as session:
        order = service.hold_order(
            session, principal, order_id, reason=body.reason if body else None, actor=actor_for(principal)
        )
    return envelope(_short(order))


@router.post("/orders/{order_id}/release", summary="Release a held order: it goes through the rules again")
def release_order(order_id: str, request: Request, principal: Principal = Depends(require_write)) -> Response:
    with _db(request).writing() as session:
        order = service.release(session, principal, order_id, actor=actor_for(principal))
    return envelope(_short(order))


@router.post("/orders/{order_id}/retry", summary="Re-queue a failed order")
def retry_order(order_id: str, request: Request, principal: Principal = Depends(require_write)) -> Response:
    with _db(request).writing() as session:
        order = service.retry(session, principal, order_id, actor=actor_for(principal))
    return envelope(_short(order))


@router.post("/orders/{order_id}/assign", summary="Route an order to a connection by hand")
def assign_order(
    order_id: str, body: AssignRequest, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        order = service.assign(session, principal, order_id, body.connection_id, actor=actor_for(principal))
    return envelope(_short(order))


@router.post(
    "/orders/{order_id}/clear-duplicate", summary="Clear the duplicate flag so the order can be re-ingested"
)
def clear_duplicate(
    order_id: str, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        order = service.clear_duplicate_flag(session, principal, order_id, actor=actor_for(principal))
    return envelope({"id": order.id, "duplicate_flag_cleared": True})


@router.get("/orders/{order_id}/tracking", summary="Tracking and fulfillment timestamps of an order")
def get_tracking(order_id: str, request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        order = orders_service.get_order_by_any_id(session, principal, order_id)
    return envelope(service.tracking_read(order))


@router.get("/health", summary="Failed, held and stuck orders; per-connection error rates")
def get_health(request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        data = service.health(
            session, principal, stuck_after_minutes=request.app.state.settings.stuck_after_minutes
        )
    return envelope(data, {"client_id": principal.client_id})


class TrackingPush(BaseModel):
    """What a warehouse sends to /hooks/connections/{id}/tracking (signed like our webhooks)."""

    model_config = ConfigDict(extra="forbid")
    reference: str
    status: Literal["processing", "shipped", "delivered", "cancelled", "failed"]
    raw_status: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    service_level: str | None = None
    shipped_at: dt.datetime | None = None
    estimated_delivery: dt.datetime | None = None
    delivered_at: dt.datetime | None = None


def _verify(connection: Connection, body: bytes, signature: str | None) -> None:
    credentials = connections_service.credentials_of(connection)
    secret = credentials.get("signing_secret") or credentials.get("webhook_secret")
    if not secret or not signature:
        raise Unauthorized("Missing or unverifiable X-WarpWare-Signature")
    expected = "sha256=" + hmac.new(str(secret).encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Unauthorized("Signature mismatch")


@hooks.post(
    "/hooks/connections/{connection_id}/tracking", summary="A destination pushes tracking for an order"
)
async def tracking_hook(connection_id: str, request: Request) -> Response:
    body = await request.body()
    database = _db(request)
    parsed = parse_uuid(connection_id)
    with database.reading() as session:
        connection = session.get(Connection, parsed) if parsed else None
    if connection is None or connection.deleted_at is not None:
        raise NotFound("Unknown connection")
    _verify(connection, body, request.headers.get("x-warpware-signature"))
    try:
        push = TrackingPush.model_validate_json(body)
    except ValueError as exc:
        raise Unprocessable(f"Invalid tracking payload: {exc}") from None
    order_uuid = parse_uuid(push.reference)
    with database.writing() as session:
        order = (
            orders_repository.get_order_unscoped(session, order_uuid, for_update=True) if order_uuid else None
        )
        if order is None or order.account_id != connection.account_id or order.connection_id != connection.id:
            raise NotFound(f"No order {push.reference} at this connection")
        apply_tracking(
            session,
            order,
            TrackingUpdate(
                raw_status=push.raw_status or push.status,
                status=push.status,
                carrier=push.carrier,
                tracking_number=push.tracking_number,
                service_level=push.service_level,
                shipped_at=push.shipped_at,
                estimated_delivery=push.estimated_delivery,
                delivered_at=push.delivered_at,
            ),
            via=f"hook:{connection.type}",
        )
        status = order.status
    return envelope({"order_id": str(order_uuid), "status": status})
