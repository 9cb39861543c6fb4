"""What an operator does to an order from its detail page: hold (with a reason) and release, so far.

The order-actions page work extends this module (retry, cancel, edit, reset, archive, clear duplicate)
in the same shape: `acting(Permission.ACT_ON_ORDERS)`, a service call, a redirect with a flash message.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warpware.dashboard.security import Acting, acting, database
from warpware.dashboard.templating import redirect
from warpware.errors import Unprocessable
from warpware.pipeline import service as pipeline_service
from warpware.users.domain import Permission

router = APIRouter()


@router.post("/orders/{order_id}/hold")
def hold(
    order_id: str, request: Request, act: Acting = Depends(acting(Permission.ACT_ON_ORDERS))
) -> Response:
    reason = act.field("reason")[:500] or None
    try:
        with database(request).writing() as session:
            order = pipeline_service.hold_order(
                session, act.user.principal, order_id, reason=reason, actor=act.actor
            )
    except Unprocessable as exc:
        return redirect(f"/orders/{order_id}", message=exc.detail, kind="error")
    return redirect(f"/orders/{order.id}", message=f"Order {order.external_id} is on hold.")


@router.post("/orders/{order_id}/release")
def release(
    order_id: str, request: Request, act: Acting = Depends(acting(Permission.ACT_ON_ORDERS))
) -> Response:
    try:
        with database(request).writing() as session:
            order = pipeline_service.release(session, act.user.principal, order_id, actor=act.actor)
    except Unprocessable as exc:
        return redirect(f"/orders/{order_id}", message=exc.detail, kind="error")
    return redirect(f"/orders/{order.id}", message=f"Order {order.external_id} is released.")
