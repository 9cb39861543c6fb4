"""Partner API inventory and locations endpoints: parse, call a service, shape the response."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from warpware.accounts.auth import require_read, require_write
from warpware.accounts.domain import Principal
from warpware.db import Database
from warpware.errors import BadRequest
from warpware.inventory import locations, repository, service, sync
from warpware.inventory.schemas import (
    STATUSES,
    InventoryAdjust,
    LevelSet,
    SettingsUpdate,
    inventory_read,
    location_level_read,
)
from warpware.kit.ids import parse_uuid
from warpware.kit.jsonio import envelope
from warpware.kit.pagination import PageRequest, cursor_meta, page_meta, page_request, parse_timestamp

router = APIRouter(tags=["inventory"])


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _statuses(value: str | None) -> tuple[str, ...]:
    statuses = tuple(s.strip() for s in (value or "").split(",") if s.strip())
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise BadRequest(f"Unknown status {unknown[0]!r}; valid statuses are {', '.join(STATUSES)}")
    return statuses


def _meta(paging: PageRequest, total: int | None, next_seq: int | None) -> dict[str, object]:
    return cursor_meta(paging, next_seq) if paging.cursor_mode else page_meta(paging, total or 0)


@router.get("/inventory", summary="List stock levels, newest first (one row per SKU and warehouse)")
def list_inventory(
    request: Request,
    sku: str | None = Query(None, description="Exact SKU"),
    status: str | None = Query(None, description="in_stock, low_stock or out_of_stock (several: commas)"),
    search: str | None = Query(None, max_length=200, description="Case-insensitive part of the name or SKU"),
    updated_since: str | None = None,
    page: int | None = Query(None, description="Page number (page mode)"),
    per_page: int | None = Query(None, description="1–100, default 50"),
    after: str | None = Query(None, description="Cursor from meta.next_cursor; empty starts at the newest"),
    principal: Principal = Depends(require_read),
) -> Response:
    paging = page_request(page=page, per_page=per_page, after=after)
    filters = repository.LevelFilters(
        sku=sku,
        statuses=_statuses(status),
        search=search,
        updated_since=parse_timestamp("updated_since", updated_since),
    )
    with _database(request).reading() as session:
        rows, total, next_seq = service.list_levels(session, principal, filters, paging)
    return envelope([inventory_read(row) for row in rows], _meta(paging, total, next_seq))


@router.post("/inventory/adjust", summary="Apply a signed change to a SKU's available units (atomic)")
def adjust_inventory(
    body: InventoryAdjust, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _database(request).writing() as session:
        result = service.adjust(session, principal, body)
    return envelope(
        {
            "sku": result.sku,
            "previous_quantity": result.previous_quantity,
            "adjustment": result.adjustment,
            "new_quantity": result.new_quantity,
            "reason": result.reason,
        }
    )


@router.post(
    "/inventory/levels",
    summary="Set the units on hand of a SKU at a warehouse (custom warehouses push stock here)",
    responses={201: {"description": "Level created"}, 200: {"description": "Level updated"}},
)
def set_level(body: LevelSet, request: Request, principal: Principal = Depends(require_write)) -> Response:
    with _database(request).writing() as session:
        row, created = service.set_level(session, principal, body.sku, body)
    return envelope(inventory_read(row), status_code=201 if created else 200)


@router.get("/inventory/locations", summary="Stock levels per SKU and location")
def inventory_by_location(
    request: Request,
    sku: str | None = Query(None, description="Exact SKU"),
    location_id: str | None = Query(None, description="A location's id (GET /locations)"),
    page: int | None = Query(None, description="Page number (page mode)"),
    per_page: int | None = Query(None, description="1–100, default 50"),
    after: str | None = Query(None, description="Cursor from meta.next_cursor"),
    principal: Principal = Depends(require_read),
) -> Response:
    paging = page_request(page=page, per_page=per_page, after=after)
    parsed = parse_uuid(location_id) if location_id else None
    if location_id and parsed is None:
        raise BadRequest(f"location_id must be a location's UUID (got {location_id!r})")
    filters = repository.LevelFilters(sku=sku, location_id=parsed)
    with _database(request).reading() as session:
        rows, total, next_seq = service.list_levels(session, principal, filters, paging)
    return envelope([location_level_read(row) for row in rows], _meta(paging, total, next_seq))


@router.post("/inventory/sync", summary="Queue pushes of changed stock levels to the sales channels")
def sync_inventory(request: Request, principal: Principal = Depends(require_write)) -> Response:
    with _database(request).writing() as session:
        queued = sync.queue_sync(session, principal)
    return envelope({"message": f"Queued {queued} inventory updates for downstream sync", "queued": queued})


@router.get(
    "/inventory/sync/pushes",
    summary="Downstream pushes to the sales channels, newest first, with each one's outcome",
)
def list_pushes(
    request: Request,
    status: str | None = Query(None, description="queued, pushed, not_found, failed, skipped or superseded"),
    sku: str | None = Query(None, description="Exact SKU"),
    channel_id: str | None = Query(None, description="A channel connection's id"),
    page: int | None = Query(None, description="Page number (page mode)"),
    per_page: int | None = Query(None, description="1–100, default 50"),
    after: str | None = Query(None, description="Cursor from meta.next_cursor"),
    principal: Principal = Depends(require_read),
) -> Response:
    paging = page_request(page=page, per_page=per_page, after=after)
    if status is not None and status not in sync.PUSH_STATUSES:
        raise BadRequest(f"Unknown status {status!r}; valid statuses are {', '.join(sync.PUSH_STATUSES)}")
    channel = parse_uuid(channel_id) if channel_id else None
    if channel_id and channel is None:
        raise BadRequest(f"channel_id must be a connection's UUID (got {channel_id!r})")
    with _database(request).reading() as session:
        visible = sync.visible_channel_ids(session, principal)
        channels = visible
        if channel is not None:
            channels = [channel] if visible is None else [c for c in visible if c == channel]
        filters = repository.PushFilters(
            channel_ids=channels, sku=sku, status=status, not_found_prefix=sync.NOT_FOUND_PREFIX
        )
        rows, total = repository.list_pushes(
            session,
            principal.account_id,
            filters,
            page=None if paging.cursor_mode else paging.page,
            per_page=paging.per_page + (1 if paging.cursor_mode else 0),
            before_id=paging.after,
        )
        next_id = None
        if paging.cursor_mode and len(rows) > paging.per_page:
            rows = rows[: paging.per_page]
            next_id = rows[-1].id
        data = [sync.push_read(push) for push in rows]
    return envelope(data, _meta(paging, total, next_id))


@router.get("/inventory/settings", summary="The low-stock threshold of SKUs without their own")
def get_settings(request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _database(request).reading() as session:
        value = service.threshold(session, principal)
    return envelope({"low_stock_threshold": value})


@router.put("/inventory/settings", summary="Set the low-stock threshold of SKUs without their own")
def put_settings(
    body: SettingsUpdate, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _database(request).writing() as session:
        value = service.set_threshold(session, principal, body.low_stock_threshold)
    return envelope({"low_stock_threshold": value})


locations_router = APIRouter(tags=["locations"])


@locations_router.get("/locations", summary="Warehouses and stores of every connected platform")
def list_locations(
    request: Request,
    platform: str | None = Query(None, max_length=40, description="e.g. extensiv, shopify, sandbox, api"),
    page: int | None = Query(None, description="Page number (page mode)"),
    per_page: int | None = Query(None, description="1–100, default 50"),
    after: str | None = Query(None, description="Cursor from meta.next_cursor"),
    principal: Principal = Depends(require_read),
) -> Response:
    paging = page_request(page=page, per_page=per_page, after=after)
    locations.discover(_database(request), principal.account_id)
    with _database(request).reading() as session:
        data, total, next_seq = locations.list_locations(
            session,
            principal,
            platform=platform,
            page=None if paging.cursor_mode else paging.page,
            per_page=paging.per_page,
            before_seq=paging.after,
        )
    return envelope(data, _meta(paging, total, next_seq))
