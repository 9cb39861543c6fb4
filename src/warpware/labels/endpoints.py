"""Partner API shipping labels on orders: parse, call a service, shape the response."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warpware.accounts.auth import actor_for, require_read, require_write
from warpware.accounts.domain import Principal
from warpware.db import Database
from warpware.kit.jsonio import envelope
from warpware.labels import repository, service
from warpware.labels.schemas import LabelCreate, label_read
from warpware.orders import service as orders_service

router = APIRouter(tags=["labels"])


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@router.post(
    "/orders/{order_id}/labels",
    status_code=201,
    summary="Attach a pre-generated shipping label (UUID or external_id)",
)
def attach_label(
    order_id: str, body: LabelCreate, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _database(request).writing() as session:
        attached = service.attach(session, principal, order_id, body, actor=actor_for(principal))
    label, order = attached.label, attached.order
    return envelope(
        {
            "label_id": label.id,
            "order_id": order.id,
            "external_id": order.external_id,
            "tracking_number": label.tracking_number,
            "carrier": label.carrier,
            "passed_to_extensiv": label.passed_to_extensiv,
            "message": attached.message,
        },
        status_code=201,
    )


@router.get(
    "/orders/{order_id}/labels", summary="List the labels on an order, oldest first (UUID or external_id)"
)
def list_labels(order_id: str, request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _database(request).reading() as session:
        order = orders_service.get_order_by_any_id(session, principal, order_id)
        labels = repository.for_order(session, order.id)
    return envelope([label_read(label) for label in labels])
