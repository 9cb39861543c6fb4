"""The dashboard: server-rendered pages at / for the people who run an account (see README.md)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from warpware.errors import WarpWareError

STATIC = Path(__file__).parent / "static"
DASHBOARD_TAG = "dashboard"


def _is_dashboard(request: Request) -> bool:
    route = request.scope.get("route")
    if route is not None:
        endpoint = getattr(route, "endpoint", None)
        return getattr(endpoint, "__module__", "").startswith(f"{__name__}.")
    # No route matched: an unknown page outside the Partner API, asked for by a browser.
    path = request.url.path
    return not path.startswith("/partner/") and "text/html" in request.headers.get("accept", "")


async def _delegate(handler: Any, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, Response)
    return result


def install_dashboard(app: FastAPI) -> None:
    """Mount the pages, the static files and the dashboard's HTML error pages.

    Call after install_error_handlers: the JSON handlers stay in force for everything that is not a
    dashboard route (the Partner API and the inbound hooks behave exactly as before).
    """
    from warpware.dashboard.pages import routers
    from warpware.dashboard.security import PageError, SignInRequired, sign_in_url
    from warpware.dashboard.templating import render

    dashboard = APIRouter(tags=[DASHBOARD_TAG], include_in_schema=False)
    for router in routers():
        dashboard.include_router(router)
    app.include_router(dashboard)
    app.mount("/static", StaticFiles(directory=STATIC), name="dashboard-static")

    json_warpware = app.exception_handlers[WarpWareError]
    json_http = app.exception_handlers[StarletteHTTPException]
    json_validation = app.exception_handlers[RequestValidationError]

    def error_page(request: Request, status_code: int, message: str) -> Response:
        response = render(
            request,
            "errors/error.html",
            {"status_code": status_code, "message": message},
            status_code=status_code,
        )
        return response

    async def on_sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return RedirectResponse(sign_in_url(exc.next_path), status_code=303)

    async def on_page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return error_page(request, exc.status_code, exc.message)

    async def on_warpware_error(request: Request, exc: Exception) -> Response:
        if _is_dashboard(request):
            assert isinstance(exc, WarpWareError)
            return error_page(request, exc.status_code, exc.detail)
        return await _delegate(json_warpware, request, exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        if _is_dashboard(request):
            assert isinstance(exc, StarletteHTTPException)
            message = "There is no such page." if exc.status_code == 404 else str(exc.detail)
            return error_page(request, exc.status_code, message)
        return await _delegate(json_http, request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        if _is_dashboard(request):
            return error_page(request, 400, "The request had a value this page does not understand.")
        return await _delegate(json_validation, request, exc)

    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(PageError, on_page_error)
    app.add_exception_handler(WarpWareError, on_warpware_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
