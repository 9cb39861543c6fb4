"""Partner API /exports: create an async export (202), poll it, rows inline once complete."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warpware.accounts.auth import require_read
from warpware.accounts.domain import Principal
from warpware.db import Database
from warpware.exports import service
from warpware.exports.schemas import ExportCreate, export_meta, export_summary
from warpware.kit.jsonio import envelope

router = APIRouter(tags=["exports"])


def _db(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@router.post("/exports", status_code=202, summary="Create an async bulk export (at most 5,000 rows)")
def create_export(
    body: ExportCreate, request: Request, principal: Principal = Depends(require_read)
) -> Response:
    with _db(request).writing() as session:
        export = service.create(session, principal, body)
    meta = {
        "poll_url": f"{request.scope.get('root_path', '')}/partner/v1/exports/{export.id}",
        **export_meta(export),
    }
    return envelope(export_summary(export), meta, status_code=202)


@router.get("/exports/{export_id}", summary="Poll an export; its rows are inline once complete")
def get_export(export_id: str, request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        export = service.get(session, principal, export_id)
    data: dict[str, Any] = {
        "id": export.id,
        "resource": export.resource,
        "status": export.status,
        "filters": export.filters,
        "created_at": export.created_at,
        "completed_at": export.completed_at,
        "count": export.row_count,
        # Stored as the JSON text the API writes, and sent as is.
        "rows": orjson.Fragment(export.rows_json)
        if export.status == "complete" and export.rows_json
        else None,
    }
    if export.status == "error":
        data["error"] = export.error
    return envelope(data, export_meta(export))
