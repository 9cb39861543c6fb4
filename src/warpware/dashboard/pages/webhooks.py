"""Webhooks: register endpoints (the secret is shown once), their delivery health, recent deliveries,
send a test, redeliver, switch off and on, delete. Looking is for everyone; changes are admin actions.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.responses import Response

from warpware.dashboard.security import Acting, acting, current_user, database
from warpware.dashboard.templating import redirect, render
from warpware.errors import Unprocessable
from warpware.users.domain import Permission
from warpware.users.service import SignedIn
from warpware.webhooks import service as webhooks_service
from warpware.webhooks.events import EVENT_TYPES
from warpware.webhooks.schemas import WebhookCreate, WebhookUpdate

router = APIRouter()
RECENT_DELIVERIES = 50
# What a new endpoint is offered ticked: the order events (the test event is sent on request anyway).
DEFAULT_EVENTS = ("order.shipped", "order.delivered", "order.failed", "order.held")


def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.allow_private_webhooks)


def _index(
    request: Request,
    user: SignedIn,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with database(request).reading() as session:
        endpoints = webhooks_service.endpoints_with_health(session, user.principal)
    return render(
        request,
        "webhooks/index.html",
        {
            "endpoints": endpoints,
            "event_types": EVENT_TYPES,
            "values": values or {"url": "", "events": list(DEFAULT_EVENTS)},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/webhooks")
def webhooks_page(request: Request, user: SignedIn = Depends(current_user)) -> Response:
    return _index(request, user)


@router.post("/webhooks")
def register(request: Request, act: Acting = Depends(acting(Permission.MANAGE_WEBHOOKS))) -> Response:
    url = act.field("url")
    events = [e for e in act.form.getlist("events") if isinstance(e, str)]
    secret = act.field("secret") or None
    values = {"url": url, "events": events}
    errors: dict[str, str] = {}
    try:
        body = WebhookCreate(url=url, events=events, secret=secret)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error.get("loc") else "url"
            # The secret's value is never echoed: only what is wrong with it.
            errors.setdefault(field, str(error["msg"]).removeprefix("Value error, "))
        return _index(request, act.user, values=values, errors=errors, status_code=422)
    try:
        with database(request).writing() as session:
            endpoint, shown_secret = webhooks_service.create_endpoint(
                session, act.user.principal, body, allow_private=_allow_private(request)
            )
            endpoint_id, endpoint_url = endpoint.id, endpoint.url
    except Unprocessable as exc:
        field = "url" if "url" in exc.detail.lower() else "form"
        return _index(request, act.user, values=values, errors={field: exc.detail}, status_code=422)
    return render(
        request,
        "webhooks/secret_created.html",
        {
            "endpoint_id": endpoint_id,
            "url": endpoint_url,
            "secret": shown_secret,
            "chosen": secret is not None,
        },
        status_code=201,
    )


@router.get("/webhooks/{endpoint_id}")
def endpoint_page(endpoint_id: str, request: Request, user: SignedIn = Depends(current_user)) -> Response:
    with database(request).reading() as session:
        endpoint = webhooks_service.get_endpoint(session, user.principal, endpoint_id)
        deliveries = webhooks_service.list_deliveries(
            session, user.principal, endpoint_id, limit=RECENT_DELIVERIES, status=None
        )
    return render(request, "webhooks/endpoint.html", {"endpoint": endpoint, "deliveries": deliveries})


@router.post("/webhooks/{endpoint_id}/test")
def send_test(
    endpoint_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_WEBHOOKS))
) -> Response:
    try:
        with database(request).writing() as session:
            webhooks_service.send_test(session, act.user.principal, endpoint_id)
    except Unprocessable as exc:
        return redirect(f"/webhooks/{endpoint_id}", message=exc.detail, kind="error")
    return redirect(
        f"/webhooks/{endpoint_id}",
        message="Test event queued: it is sent once, and its delivery shows below within seconds.",
    )


@router.post("/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver")
def redeliver(
    endpoint_id: str,
    delivery_id: str,
    request: Request,
    act: Acting = Depends(acting(Permission.MANAGE_WEBHOOKS)),
) -> Response:
    try:
        with database(request).writing() as session:
            delivery = webhooks_service.redeliver(session, act.user.principal, endpoint_id, delivery_id)
            event = delivery.event
    except Unprocessable as exc:
        return redirect(f"/webhooks/{endpoint_id}", message=exc.detail, kind="error")
    return redirect(f"/webhooks/{endpoint_id}", message=f"The {event} event is queued to be sent again.")


@router.post("/webhooks/{endpoint_id}/enable")
def enable(
    endpoint_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_WEBHOOKS))
) -> Response:
    return _switch(request, act, endpoint_id, active=True)


@router.post("/webhooks/{endpoint_id}/disable")
def disable(
    endpoint_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_WEBHOOKS))
) -> Response:
    return _switch(request, act, endpoint_id, active=False)


def _switch(request: Request, act: Acting, endpoint_id: str, *, active: bool) -> Response:
    try:
        with database(request).writing() as session:
            webhooks_service.update_endpoint(
                session, act.user.principal, endpoint_id, WebhookUpdate(active=active)
            )
    except Unprocessable as exc:
        return redirect(f"/webhooks/{endpoint_id}", message=exc.detail, kind="error")
    return redirect(
        f"/webhooks/{endpoint_id}",
        message="Endpoint enabled." if active else "Endpoint disabled: nothing is sent to it until enabled.",
    )


@router.post("/webhooks/{endpoint_id}/delete")
def delete(
    endpoint_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_WEBHOOKS))
) -> Response:
    with database(request).writing() as session:
        url = webhooks_service.get_endpoint(session, act.user.principal, endpoint_id).url
        webhooks_service.delete_endpoint(session, act.user.principal, endpoint_id)
    return redirect(
        "/webhooks", message=f"Endpoint {url} deleted; what it still had to receive is cancelled."
    )
