"""Partner API orders endpoints: parse, call a service, shape the response."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from warpware.accounts.auth import actor_for, require_read, require_write
from warpware.accounts.domain import Principal
from warpware.db import Database
from warpware.errors import BadRequest, Unprocessable, validation_detail
from warpware.kit.jsonio import envelope
from warpware.kit.pagination import cursor_meta, page_meta, page_request, parse_timestamp
from warpware.orders import idempotency, repository, service
from warpware.orders.domain import OrderStatus
from warpware.orders.schemas import (
    IMMUTABLE_FIELDS,
    BulkOrderCreate,
    CancelRequest,
    OrderCreate,
    OrderFilters,
    OrderUpdate,
    order_read,
)

router = APIRouter(tags=["orders"])
MAX_BULK = 100
MAX_TIMELINE = 200


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _statuses(value: str | None) -> list[str] | None:
    if not value:
        return None
    statuses = [s.strip() for s in value.split(",") if s.strip()]
    valid = {s.value for s in OrderStatus}
    unknown = [s for s in statuses if s not in valid]
    if unknown:
        raise BadRequest(f"Unknown status {unknown[0]!r}; valid statuses are {', '.join(sorted(valid))}")
    return statuses


@router.get("/orders", summary="List orders, newest first (page or cursor mode)")
def list_orders(
    request: Request,
    status: str | None = Query(None, description="One status, or several separated by commas"),
    tag: str | None = None,
    external_id: str | None = None,
    date_from: str | None = Query(None, description="Created at or after (ISO 8601 date or date-time)"),
    date_to: str | None = Query(
        None, description="Created at or before (a bare date includes that whole day)"
    ),
    updated_since: str | None = None,
    tracking_number: str | None = None,
    page: int | None = Query(None, description="Page number (page mode)"),
    per_page: int | None = Query(None, description="1–100, default 50"),
    after: str | None = Query(
        None, description="Cursor from meta.next_cursor; empty starts at the newest order"
    ),
    principal: Principal = Depends(require_read),
) -> Response:
    paging = page_request(page=page, per_page=per_page, after=after)
    filters = OrderFilters(
        tag=tag,
        external_id=external_id,
        tracking_number=tracking_number,
        date_from=parse_timestamp("date_from", date_from),
        date_to=parse_timestamp("date_to", date_to, end_of_day=True),
        updated_since=parse_timestamp("updated_since", updated_since),
    )
    statuses = _statuses(status)
    with _database(request).reading() as session:
        if paging.cursor_mode:
            orders = repository.list_after(
                session, principal, filters, statuses, before_seq=paging.after, limit=paging.per_page + 1
            )
            more = len(orders) > paging.per_page
            orders = orders[: paging.per_page]
            meta = cursor_meta(paging, orders[-1].seq if more else None, client_id=principal.client_id)
        else:
            orders, total = repository.list_page(
                session, principal, filters, statuses, page=paging.page, per_page=paging.per_page
            )
            meta = page_meta(paging, total, client_id=principal.client_id)
        lines = service.lines_for(session, orders)
    return envelope([order_read(o, lines[o.id]) for o in orders], meta)


@router.get("/orders/stats", summary="Order counts by status")
def order_stats(
    request: Request,
    date_from: str | None = None,
    date_to: str | None = None,
    principal: Principal = Depends(require_read),
) -> Response:
    with _database(request).reading() as session:
        counts = repository.count_by_status(
            session,
            principal,
            date_from=parse_timestamp("date_from", date_from),
            date_to=parse_timestamp("date_to", date_to, end_of_day=True),
        )
    by_status = {s.value: counts.get(s.value, 0) for s in OrderStatus}
    return envelope(
        {"total": sum(by_status.values()), "by_status": by_status}, {"client_id": principal.client_id}
    )


@router.get("/orders/by-external/{external_id}", summary="Get an order by your system's id")
def get_order_by_external(
    external_id: str, request: Request, principal: Principal = Depends(require_read)
) -> Response:
    with _database(request).reading() as session:
        order = service.get_order_by_external(session, principal, external_id)
        lines = service.lines_for(session, [order])
    return envelope(order_read(order, lines[order.id]))


@router.get("/orders/{order_id}", summary="Get an order by WarpWare UUID")
def get_order(order_id: str, request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _database(request).reading() as session:
        order = service.get_order(session, principal, order_id)
        lines = service.lines_for(session, [order])
    return envelope(order_read(order, lines[order.id]))


@router.get("/orders/{order_id}/timeline", summary="Order event history, newest first (UUID or external_id)")
def get_timeline(
    order_id: str,
    request: Request,
    limit: int = Query(50, description="1–200, default 50"),
    principal: Principal = Depends(require_read),
) -> Response:
    if not 1 <= limit <= MAX_TIMELINE:
        raise BadRequest(f"limit must be between 1 and {MAX_TIMELINE} (got {limit})")
    with _database(request).reading() as session:
        order = service.get_order_by_any_id(session, principal, order_id)
        events, total = repository.events_for(session, order.id, limit=limit)
    return envelope(
        {
            "order_id": order.id,
            "external_id": order.external_id,
            "event_count": total,
            "events": [
                {
                    "source": e.source,
                    "type": e.type,
                    "component": e.component,
                    "message": e.message,
                    "details": e.details,
                    "actor": e.actor,
                    "occurred_at": e.occurred_at,
                }
                for e in events
            ],
        }
    )


def _created_body(order: Any) -> dict[str, Any]:
    return {
        "id": order.id,
        "external_id": order.external_id,
        "source": order.source,
        "status": order.status,
        "client_id": order.client_ref,
        "created_at": order.created_at,
    }


@router.post(
    "/orders",
    status_code=201,
    summary="Push a new order into the pipeline",
    responses={409: {"description": "Duplicate external_id"}},
)
def create_order(
    payload: OrderCreate,
    request: Request,
    idempotency_key: str | None = Header(None, alias="X-Idempotency-Key"),
    principal: Principal = Depends(require_write),
) -> Response:
    def run(session: Any) -> tuple[int, dict[str, Any]]:
        [result] = service.ingest(
            session, principal, [service.normalized_from_api(payload)], actor=actor_for(principal)
        )
        if result.order is None:
            original = result.duplicate_of
            return 409, {
                "detail": f"Order with external_id {payload.external_id} already exists",
                "existing_order_id": str(original.id) if original else None,
            }
        return 201, {"data": _created_body(result.order), "meta": {}}

    return idempotency.run_once(
        _database(request), principal, idempotency_key, payload.model_dump(mode="json"), run
    )


@router.post("/orders/bulk", status_code=207, summary="Push up to 100 orders; per-item results (207 always)")
def bulk_create(
    body: BulkOrderCreate, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    if len(body.orders) > MAX_BULK:
        raise Unprocessable(f"Too many orders: {len(body.orders)} sent, at most {MAX_BULK} per request")
    items: list[dict[str, Any]] = []
    valid: list[tuple[int, OrderCreate]] = []
    for index, raw in enumerate(body.orders):
        external_id = raw.get("external_id") if isinstance(raw, dict) else None
        external_id = external_id if isinstance(external_id, str) else None
        if not isinstance(raw, dict):
            items.append(
                {"external_id": None, "status": "error", "message": "Each order must be a JSON object"}
            )
            continue
        try:
            valid.append((index, OrderCreate.model_validate(raw)))
            items.append({})
        except ValidationError as exc:
            detail, _fields = validation_detail(list(exc.errors()))
            items.append({"external_id": external_id, "status": "error", "message": detail})
    with _database(request).writing() as session:
        results = service.ingest(
            session, principal, [service.normalized_from_api(o) for _, o in valid], actor=actor_for(principal)
        )
    for (index, _), result in zip(valid, results, strict=True):
        if result.order is not None:
            items[index] = {
                "external_id": result.external_id,
                "status": "created",
                "id": result.order.id,
                "created_at": result.order.created_at,
            }
        else:
            items[index] = {
                "external_id": result.external_id,
                "status": "duplicate",
                "message": "Order with this external_id already exists",
            }
    counts = {s: sum(1 for i in items if i["status"] == s) for s in ("created", "duplicate", "error")}
    meta = {
        "total": len(items),
        "created": counts["created"],
        "duplicates": counts["duplicate"],
        "errors": counts["error"],
        "client_id": principal.client_id,
    }
    return envelope(items, meta, status_code=207)


@router.patch(
    "/orders/{order_id}",
    summary="Update tracking, carrier, status, note or metadata",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": OrderUpdate.model_json_schema()}}}
    },
)
def update_order(
    order_id: str,
    request: Request,
    body: dict[str, Any] = Body(...),
    principal: Principal = Depends(require_write),
) -> Response:
    immutable = [f for f in IMMUTABLE_FIELDS if f in body]
    if immutable:
        raise Unprocessable(
            f"{' and '.join(immutable)} cannot be changed via the API after an order is created"
        )
    try:
        update = OrderUpdate.model_validate(body)
    except ValidationError as exc:
        detail, fields = validation_detail(list(exc.errors()))
        raise Unprocessable(detail, extra={"errors": fields}) from None
    if not update.model_fields_set:
        raise Unprocessable("Nothing to update: send tracking_number, carrier, status, note or metadata")
    with _database(request).writing() as session:
        order = service.update_order(session, principal, order_id, update, actor=actor_for(principal))
    return envelope({"id": order.id, "updated": True, "status": order.status})


@router.post("/orders/{order_id}/cancel", summary="Cancel an order that has not shipped (idempotent)")
def cancel_order(
    order_id: str,
    request: Request,
    body: CancelRequest | None = None,
    principal: Principal = Depends(require_write),
) -> Response:
    with _database(request).writing() as session:
        order = service.cancel_order(
            session, principal, order_id, reason=body.reason if body else None, actor=actor_for(principal)
        )
    return envelope({"id": order.id, "status": order.status, "cancelled": True})
