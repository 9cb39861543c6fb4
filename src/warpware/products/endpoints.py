"""Partner API products endpoints: parse, call a service, shape the response."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from warpware.accounts.auth import require_read, require_write
from warpware.accounts.domain import Principal
from warpware.db import Database
from warpware.errors import NotFound
from warpware.kit.jsonio import envelope
from warpware.kit.pagination import cursor_meta, page_meta, page_request, parse_timestamp
from warpware.products import repository, service
from warpware.products.schemas import ProductUpsert, product_read

router = APIRouter(tags=["products"])


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@router.get("/products", summary="List products, newest first: search by name or SKU, or one exact SKU")
def list_products(
    request: Request,
    sku: str | None = Query(None, description="Exact SKU"),
    search: str | None = Query(None, max_length=200, description="Case-insensitive part of the name or SKU"),
    updated_since: str | None = None,
    page: int | None = Query(None, description="Page number (page mode)"),
    per_page: int | None = Query(None, description="1–100, default 50"),
    after: str | None = Query(None, description="Cursor from meta.next_cursor; empty starts at the newest"),
    principal: Principal = Depends(require_read),
) -> Response:
    paging = page_request(page=page, per_page=per_page, after=after)
    filters = repository.ProductFilters(
        sku=sku, search=search, updated_since=parse_timestamp("updated_since", updated_since)
    )
    with _database(request).reading() as session:
        rows, total, next_seq = service.list_products(session, principal, filters, paging)
    meta = cursor_meta(paging, next_seq) if paging.cursor_mode else page_meta(paging, total or 0)
    return envelope([product_read(p, count) for p, count in rows], meta)


@router.get("/products/{sku:path}", summary="Get one product by SKU")
def get_product(sku: str, request: Request, principal: Principal = Depends(require_read)) -> Response:
    sku = service.check_sku(sku)
    with _database(request).reading() as session:
        rows, _, _ = service.list_products(
            session,
            principal,
            repository.ProductFilters(sku=sku),
            page_request(page=None, per_page=None, after=None),
        )
    if not rows:
        raise NotFound(f"Product {sku} not found")
    product, count = rows[0]
    return envelope(product_read(product, count))


@router.put(
    "/products/{sku:path}",
    summary="Create or update a product (custom warehouses and ERPs push their catalog here)",
    responses={201: {"description": "Created"}, 200: {"description": "Updated"}},
)
def put_product(
    sku: str, body: ProductUpsert, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    sku = service.check_sku(sku)
    with _database(request).writing() as session:
        product, created = service.upsert_product(session, principal, sku, body)
        count = service.inventory_count(session, principal, product)
    return envelope(product_read(product, count), status_code=201 if created else 200)
