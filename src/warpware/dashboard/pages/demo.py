"""Demo: simulate N orders and watch them move through the stages. With a sandbox warehouse connection
they are demo orders that go all the way to it; without one, TEST_ORDERs that stop at ready. The page
polls a small JSON endpoint once a second (static/demo.js); without JavaScript, reloading the page shows
the same numbers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from warpware.dashboard.security import Acting, PageError, acting, current_user, database
from warpware.dashboard.templating import SECURITY_HEADERS, redirect, render
from warpware.pipeline.evaluation import DEMO_ORDER_TAG
from warpware.simulation import service as simulation_service
from warpware.simulation.schemas import MAX_SIMULATED
from warpware.users.domain import Permission
from warpware.users.service import SignedIn

router = APIRouter()
STAGE_LABELS = {
    "pending": "Pending",
    "ready": "Ready",
    "processing": "Sent",
    "shipped": "Shipped",
    "other": "Held, failed or cancelled",
}


def _after(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else None


@router.get("/demo")
def demo_page(request: Request, after: str = "", user: SignedIn = Depends(current_user)) -> Response:
    watched = _after(after)
    progress = None
    if watched is not None:
        with database(request).reading() as session:
            progress = simulation_service.demo_progress(session, user.principal, watched)
    return render(
        request,
        "demo/index.html",
        {
            "after": watched,
            "progress": progress,
            "stage_labels": STAGE_LABELS,
            "max_orders": MAX_SIMULATED,
        },
    )


@router.post("/demo/simulate")
def simulate(request: Request, act: Acting = Depends(acting(Permission.RUN_DEMO))) -> Response:
    raw = act.field("count")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SIMULATED:
        return redirect(
            "/demo",
            message=f"Choose between 1 and {MAX_SIMULATED} orders (got {raw or 'nothing'}).",
            kind="error",
        )
    with database(request).writing() as session:
        after, result = simulation_service.demo_start(session, act.user.principal, int(raw), actor=act.actor)
    if any(DEMO_ORDER_TAG in (order.tags or ()) for order in result.created):
        message = (
            f"{len(result.created)} demo order(s) created; they go through every stage to your sandbox "
            "warehouse (never to a real one)."
        )
    else:
        message = (
            f"{len(result.created)} test order(s) created; they are evaluated and routed, never sent "
            "(add a sandbox warehouse connection to watch them ship)."
        )
    if result.failed:
        message += f" {result.failed} could not be created."
    return redirect(f"/demo?after={after}", message=message)


@router.get("/demo/progress")
def progress(request: Request, after: str = "", user: SignedIn = Depends(current_user)) -> Response:
    """Where the watched test orders are now (JSON for the page's script; session-authenticated)."""
    watched = _after(after)
    if watched is None:
        raise PageError(400, "after must be an order sequence number")
    with database(request).reading() as session:
        data = simulation_service.demo_progress(session, user.principal, watched)
    return JSONResponse(
        {
            "counts": data.counts,
            "total": len(data.orders),
            "orders": [
                {"id": str(o.id), "external_id": o.external_id, "status": o.status} for o in data.orders
            ],
        },
        headers=SECURITY_HEADERS,
    )
