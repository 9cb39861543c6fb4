"""Brokering over the Partner API: settings, locations, runs, queues, and actions on brokered orders."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ConfigDict
from starlette.responses import Response

from warpware.accounts.auth import actor_for, require_read, require_write
from warpware.accounts.domain import Principal
from warpware.brokering import actions, repository, runs, service
from warpware.brokering.schemas import (
    ApproveRequest,
    LocationUpdate,
    OrderSelection,
    RejectRequest,
    RunCreate,
    SettingsUpdate,
    run_read,
    settings_read,
)
from warpware.brokering.tasks import enqueue_run
from warpware.db import Database
from warpware.errors import NotFound, Unprocessable
from warpware.kit.ids import parse_uuid
from warpware.kit.jsonio import envelope
from warpware.kit.pagination import decode_cursor, encode_cursor

router = APIRouter(tags=["brokering"])


def _db(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@router.get("/brokering/settings", summary="The account's brokering settings")
def get_settings(request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        return envelope(settings_read(repository.settings_for(session, principal.account_id)))


@router.put("/brokering/settings", summary="Change brokering settings (fields left out keep their values)")
def put_settings(
    body: SettingsUpdate, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        row = service.update_settings(session, principal, body)
        data = settings_read(row)
    return envelope(data)


@router.get("/brokering/locations", summary="Locations with their brokering attributes")
def list_locations(request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).writing() as session:
        data = service.list_locations(session, principal)
    return envelope(data, {"total": len(data)})


@router.put("/brokering/locations/{location_id}", summary="Set a location's brokering attributes")
def put_location(
    location_id: str, body: LocationUpdate, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        data = service.update_location(session, principal, location_id, body)
    return envelope(data)


@router.post("/brokering/runs", summary="Start a brokering run now (202: it runs in the background)")
def create_run(
    request: Request, body: RunCreate | None = None, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        settings = repository.settings_for(session, principal.account_id)
        if settings is None or not settings.enabled:
            raise Unprocessable("Brokering is not enabled for this account (PUT /brokering/settings)")
        run = runs.start(
            session,
            principal.account_id,
            trigger="manual",
            queues=body.queues if body else None,
            requested_by=actor_for(principal),
        )
        enqueue_run(session, run.id)
        data = run_read(run)
    return envelope(data, status_code=202)


@router.get("/brokering/runs", summary="Brokering runs, newest first")
def list_runs(
    request: Request,
    principal: Principal = Depends(require_read),
    per_page: int = Query(50, ge=1, le=100),
    after: str | None = Query(None, description="Cursor from meta.next_cursor"),
) -> Response:
    before = decode_cursor(after) if after else None
    with _db(request).reading() as session:
        rows = repository.runs_page(session, principal.account_id, before_seq=before, limit=per_page + 1)
    more = len(rows) > per_page
    rows = rows[:per_page]
    return envelope(
        [run_read(r) for r in rows],
        {
            "per_page": per_page,
            "has_more": more,
            "next_cursor": encode_cursor(rows[-1].seq) if more else None,
        },
    )


@router.get("/brokering/runs/{run_id}", summary="One brokering run")
def get_run(run_id: str, request: Request, principal: Principal = Depends(require_read)) -> Response:
    parsed = parse_uuid(run_id)
    with _db(request).reading() as session:
        run = repository.get_run(session, principal.account_id, parsed) if parsed else None
        if run is None:
            raise NotFound(f"Brokering run {run_id} not found")
        return envelope(run_read(run))


@router.get("/brokering/queues", summary="How many orders wait in each brokering queue and parking")
def get_queues(request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        return envelope(actions.queue_counts(session, principal))


@router.get("/brokering/queues/{queue}/orders", summary="The orders in one queue, oldest first")
def get_queue_orders(
    queue: str,
    request: Request,
    principal: Principal = Depends(require_read),
    per_page: int = Query(50, ge=1, le=100),
    after: str | None = Query(None, description="Cursor from meta.next_cursor"),
) -> Response:
    after_seq = decode_cursor(after) if after else None
    with _db(request).reading() as session:
        data, next_seq = actions.queue_orders(session, principal, queue, after_seq=after_seq, limit=per_page)
        counts = actions.queue_counts(session, principal)
    return envelope(
        data,
        {
            "queue": queue,
            "count": counts.get(queue, 0),
            "per_page": per_page,
            "has_more": next_seq is not None,
            "next_cursor": encode_cursor(next_seq) if next_seq is not None else None,
        },
    )


@router.get(
    "/brokering/orders/{order_id}", summary="An order's brokering state (its line ids for rejections)"
)
def get_order_state(
    order_id: str, request: Request, principal: Principal = Depends(require_read)
) -> Response:
    with _db(request).reading() as session:
        return envelope(actions.order_state(session, principal, order_id))


@router.post("/orders/{order_id}/approve", summary="Approve an order waiting for brokering approval")
def approve_order(
    order_id: str,
    request: Request,
    body: ApproveRequest | None = None,
    principal: Principal = Depends(require_write),
) -> Response:
    with _db(request).writing() as session:
        order = actions.approve(
            session, principal, order_id, actor=actor_for(principal), note=body.note if body else None
        )
        data = actions.order_state(session, principal, str(order.id))
    return envelope(data)


@router.post("/orders/{order_id}/reject", summary="A location rejects a brokered order, or some of its lines")
def reject_order(
    order_id: str, body: RejectRequest, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        data = actions.reject(session, principal, order_id, body, actor=actor_for(principal))
    return envelope(data)


@router.post(
    "/orders/{order_id}/unfillable-hold", summary="Unfillable parking → unfillable hold (no auto-cancel)"
)
def hold_unfillable_order(
    order_id: str, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        order = actions.hold_one(session, principal, order_id, actor=actor_for(principal))
        data = actions.order_state(session, principal, str(order.id))
    return envelope(data)


@router.post(
    "/brokering/unfillable-hold", summary="Move many unfillable orders to unfillable hold (ids or CSV)"
)
def hold_unfillable_orders(
    body: OrderSelection, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        data = actions.hold_unfillable(session, principal, body, actor=actor_for(principal))
    return envelope(data)


class ReleaseRequest(OrderSelection):
    model_config = ConfigDict(extra="forbid")

    queue: Literal["preorder", "backorder"] | None = None


@router.post("/brokering/release", summary="Release parked pre-orders/backorders to the brokering queue")
def release_parked(
    body: ReleaseRequest, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    has_selection = bool(body.order_ids or body.external_ids or body.csv)
    with _db(request).writing() as session:
        data = actions.release_parked(
            session,
            principal,
            body if has_selection else None,
            queue=None if has_selection else body.queue,
            actor=actor_for(principal),
        )
    return envelope(data)
