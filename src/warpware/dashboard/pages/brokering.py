"""Brokering from an order's detail page: the location an order was placed at rejects it, whole or some
of its SKUs (the same service as POST /partner/v1/orders/{id}/reject), and it goes back to brokering."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.responses import Response

from warpware.brokering import actions as brokering_actions
from warpware.brokering.schemas import RejectRequest
from warpware.dashboard.security import Acting, acting, database
from warpware.dashboard.templating import redirect
from warpware.errors import Unprocessable
from warpware.users.domain import Permission

router = APIRouter()


@router.post("/orders/{order_id}/reject")
def reject(
    order_id: str, request: Request, act: Acting = Depends(acting(Permission.ACT_ON_ORDERS))
) -> Response:
    skus = [sku.strip() for sku in act.field("skus").split(",") if sku.strip()]
    try:
        body = RejectRequest(reason=act.field("reason")[:1000], skus=skus or None)
    except ValidationError:
        return redirect(f"/orders/{order_id}", message="Say why the location rejects it.", kind="error")
    try:
        with database(request).writing() as session:
            brokering_actions.reject(session, act.user.principal, order_id, body, actor=act.actor)
    except Unprocessable as exc:
        return redirect(f"/orders/{order_id}", message=exc.detail, kind="error")
    what = f"SKU(s) {', '.join(skus)}" if skus else "The order"
    return redirect(
        f"/orders/{order_id}",
        message=f"{what} rejected by the location; the next brokering run places it elsewhere.",
    )
