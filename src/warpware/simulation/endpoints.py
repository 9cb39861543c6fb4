"""Partner API POST /orders/simulate."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warpware.accounts.auth import actor_for, require_write
from warpware.accounts.domain import Principal
from warpware.db import Database
from warpware.kit.jsonio import envelope
from warpware.simulation import service
from warpware.simulation.schemas import SimulateRequest

router = APIRouter(tags=["test simulation"])


@router.post(
    "/orders/simulate",
    status_code=201,
    summary="Create up to 100 realistic test orders (TEST_ORDER): the real pipeline, never sent",
)
def simulate_orders(
    body: SimulateRequest, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    database: Database = request.app.state.database
    with database.writing() as session:
        result = service.simulate(session, principal, body, actor=actor_for(principal))
    created = len(result.created)
    message = f"{created} test order(s) created and queued for processing"
    if result.failed:
        message += f"; {result.failed} failed"
    return envelope(
        {
            "created": created,
            "failed": result.failed,
            "orders": [{"id": o.id, "external_id": o.external_id} for o in result.created],
            "message": message,
        },
        {"client_id": principal.client_id},
        status_code=201,
    )
