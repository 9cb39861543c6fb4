"""Partner API /preorder-rules: list, create, get, release."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from warpware.accounts.auth import actor_for, require_read, require_write
from warpware.accounts.domain import Principal
from warpware.db import Database
from warpware.kit.jsonio import envelope
from warpware.kit.pagination import cursor_meta, page_meta, page_request
from warpware.preorders import service
from warpware.preorders.schemas import PreorderRuleCreate, rule_read

router = APIRouter(tags=["pre-orders"])


def _db(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@router.get("/preorder-rules", summary="List pre-order rules, newest first (page or cursor mode)")
def list_rules(
    request: Request,
    status: str | None = Query(None, description="holding or released"),
    sku: str | None = None,
    page: int | None = Query(None, description="Page number (page mode)"),
    per_page: int | None = Query(None, description="1–100, default 50"),
    after: str | None = Query(None, description="Cursor from meta.next_cursor"),
    principal: Principal = Depends(require_read),
) -> Response:
    paging = page_request(page=page, per_page=per_page, after=after)
    with _db(request).reading() as session:
        result = service.list_rules(session, principal, paging, status=status or None, sku=sku or None)
    data = [rule_read(r, *result.counts[r.id]) for r in result.rules]
    if paging.cursor_mode:
        return envelope(data, cursor_meta(paging, result.next_seq))
    return envelope(data, page_meta(paging, result.total or 0))


@router.post(
    "/preorder-rules",
    status_code=201,
    summary="Create a pre-order rule for a SKU",
    responses={409: {"description": "The SKU already has a holding rule"}},
)
def create_rule(
    body: PreorderRuleCreate, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        rule = service.create(session, principal, body)
    return envelope(rule_read(rule, 0, 0), status_code=201)


@router.get("/preorder-rules/{rule_id}", summary="Get a pre-order rule with its order counts")
def get_rule(rule_id: str, request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        rule = service.get(session, principal, rule_id)
        held, released = service.counts_of(session, rule)
    return envelope(rule_read(rule, held, released))


@router.post(
    "/preorder-rules/{rule_id}/release",
    summary="Release every order the rule holds; they go through the pipeline again",
)
def release_rule(rule_id: str, request: Request, principal: Principal = Depends(require_write)) -> Response:
    with _db(request).writing() as session:
        rule, released = service.release(session, principal, rule_id, actor=actor_for(principal))
    return envelope({"rule_id": rule.id, "sku": rule.sku, "status": rule.status, "orders_released": released})
