"""Partner API shipments: warehouse-level shipments pushed straight into the pipeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from warpware.accounts.auth import actor_for, require_write
from warpware.accounts.domain import Principal
from warpware.db import Database
from warpware.orders import idempotency
from warpware.shipments import service
from warpware.shipments.schemas import ShipmentCreate

router = APIRouter(tags=["shipments"])
INGESTED = "Shipment ingested and queued for processing"


@router.post(
    "/shipments",
    status_code=201,
    summary="Push a warehouse-level shipment into the pipeline (it becomes an order for that warehouse)",
    responses={409: {"description": "Duplicate external_id"}},
)
def create_shipment(
    body: ShipmentCreate,
    request: Request,
    idempotency_key: str | None = Header(None, alias="X-Idempotency-Key"),
    principal: Principal = Depends(require_write),
) -> Response:
    def run(session: Session) -> tuple[int, dict[str, Any]]:
        result = service.ingest(session, principal, body, actor=actor_for(principal))
        if result.order is None:
            original = result.duplicate_of
            return 409, {
                "detail": f"Order with external_id {body.external_id} already exists",
                "existing_order_id": str(original.id) if original else None,
            }
        order = result.order
        return 201, {
            "data": {
                "id": str(order.id),
                "external_id": order.external_id,
                "status": order.status,
                "message": INGESTED,
            },
            "meta": {},
        }

    database: Database = request.app.state.database
    return idempotency.run_once(database, principal, idempotency_key, body.model_dump(mode="json"), run)
