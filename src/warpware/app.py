"""create_app(): the Partner API under /partner/v1 and the dashboard at /."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warpware import API_VERSION
from warpware.accounts.auth import AuthCache
from warpware.accounts.ratelimit import make_rate_limiter
from warpware.config import Settings, get_settings
from warpware.db import Database
from warpware.errors import install_error_handlers
from warpware.kit.jsonio import ORJSONResponse, dumps
from warpware.worker import start_embedded_worker

# Modules whose import registers job handlers; every worker loads them.
HANDLER_MODULES = (
    "warpware.pipeline.tasks",
    "warpware.webhooks.tasks",
    "warpware.channels.tasks",
    "warpware.preorders.tasks",
    "warpware.exports.tasks",
    "warpware.inventory.tasks",
    "warpware.labels.tasks",
    "warpware.brokering.tasks",
)

log = logging.getLogger("warpware")

BODY_METHODS = {b"POST", b"PATCH", b"PUT"}


class PartnerHeadersMiddleware:
    """Adds X-WarpWare-API-Version (and rate-limit headers once a key is known) to every response,
    and refuses request bodies that are not JSON before anything parses them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.version = API_VERSION.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            await self._reject(send, 400, "NUL characters are not allowed in URLs")
            return
        if scope["path"].startswith("/partner/") and scope["method"].encode() in BODY_METHODS:
            headers = dict(scope["headers"])
            has_body = (
                headers.get(b"content-length", b"0") not in (b"0", b"") or b"transfer-encoding" in headers
            )
            content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if has_body and content_type != b"application/json":
                await self._reject(
                    send,
                    415,
                    "Content-Type must be application/json for POST, PATCH and PUT requests with a body",
                )
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-WarpWare-API-Version"] = API_VERSION
                state = scope.get("state", {}).get("rate_limit")
                if state is not None:
                    for name, value in state.headers().items():
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _reject(self, send: Send, status: int, detail: str) -> None:
        body = dumps({"detail": detail})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-warpware-api-version", self.version),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def create_app(
    settings: Settings | None = None, *, database: Database | None = None, start_worker: bool | None = None
) -> FastAPI:
    from warpware.automation.endpoints import router as rules_router
    from warpware.brokering.endpoints import router as brokering_router
    from warpware.channels.endpoints import router as channels_router
    from warpware.channels.intake_endpoints import hooks as channel_hooks
    from warpware.channels.intake_endpoints import router as file_channels_router
    from warpware.channels.runtime import bind_database
    from warpware.connections.endpoints import router as connections_router
    from warpware.dashboard import install_dashboard
    from warpware.exports.endpoints import router as exports_router
    from warpware.inventory.endpoints import locations_router
    from warpware.inventory.endpoints import router as inventory_router
    from warpware.labels.endpoints import router as labels_router
    from warpware.orders.endpoints import router as orders_router
    from warpware.pipeline.endpoints import hooks as pipeline_hooks
    from warpware.pipeline.endpoints import router as pipeline_router
    from warpware.preorders.endpoints import router as preorders_router
    from warpware.products.endpoints import router as products_router
    from warpware.rates.endpoints import router as rates_router
    from warpware.shipments.endpoints import router as shipments_router
    from warpware.simulation.endpoints import router as simulation_router
    from warpware.system.endpoints import router as system_router
    from warpware.walter.endpoints import router as walter_router
    from warpware.webhooks.endpoints import router as webhooks_router

    settings = settings or get_settings()
    database = database or Database(settings.database_url)
    run_worker = settings.embedded_worker if start_worker is None else start_worker
    bind_database(database)  # the EDI/CSV/email tracking writers record what they send here

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        # One in-process worker, so the embedded SQLite setup is a single command. Jobs are rows: a
        # restart loses nothing, leases of jobs that were running expire and they run again.
        if run_worker:
            from warpware.pipeline.tasks import ensure_schedules

            ensure_schedules(database)
        worker = (
            start_embedded_worker(
                database, concurrency=settings.worker_concurrency, handler_modules=HANDLER_MODULES
            )
            if run_worker
            else None
        )
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="WarpWare Partner API",
        version=API_VERSION,
        openapi_url="/partner/v1/openapi.json",
        docs_url="/partner/v1/docs",
        redoc_url=None,
        default_response_class=ORJSONResponse,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.auth_cache = AuthCache(settings.auth_cache_seconds)
    app.state.rate_limiter = make_rate_limiter(
        settings.rate_limit_backend,
        database=database,
        redis_url=settings.redis_url,
        server_processes=settings.server_processes,
    )
    # Included one level deep (not through a parent /partner/v1 router): route matching walks fewer layers.
    for router in (
        system_router,
        orders_router,
        pipeline_router,
        connections_router,
        rules_router,
        preorders_router,
        rates_router,
        exports_router,
        simulation_router,
        walter_router,
        webhooks_router,
        file_channels_router,
        inventory_router,
        locations_router,
        products_router,
        labels_router,
        shipments_router,
        brokering_router,
    ):
        app.include_router(router, prefix="/partner/v1")
    app.include_router(pipeline_hooks)
    app.include_router(channels_router)
    app.include_router(channel_hooks)
    install_error_handlers(app)
    # After the Partner API: its paths match first, and the JSON error handlers stay theirs.
    install_dashboard(app)
    app.add_middleware(PartnerHeadersMiddleware)
    return app
