"""A local stand-in for a WooCommerce store's wc/v3 REST API: orders and their notes, Woo's error
bodies ({code, message, data.status}), Basic or query-string key auth, and a record of every request."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from tests.servers import thread_server as serve  # noqa: F401  (re-exported)

WOO_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "woocommerce"
CONSUMER_KEY = "ck_5b1e0c9a7d3f2e4b6a8c0d1e2f3a4b5c6d7e8f90"
CONSUMER_SECRET = "cs_0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f10"
STATUSES = {"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash"}


@dataclass
class Canned:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


def _error(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": {"status": status}}, status_code=status)


class FakeWooCommerce:
    def __init__(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.requests: list[Recorded] = []
        self.canned: list[Canned] = []
        self.app = self._build_app()

    def reset(self) -> None:
        self.orders.clear()
        self.notes.clear()
        self.requests.clear()
        self.canned.clear()

    def add_order(self, order_id: int, status: str = "processing") -> None:
        self.orders[order_id] = {"id": order_id, "number": str(order_id), "status": status}
        self.notes[order_id] = []

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            expected = base64.b64encode(f"{CONSUMER_KEY}:{CONSUMER_SECRET}".encode()).decode()
            return header == f"Basic {expected}"
        query = request.query_params
        return query.get("consumer_key") == CONSUMER_KEY and query.get("consumer_secret") == CONSUMER_SECRET

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def record(request: Request, call_next: Any) -> Response:
            raw = await request.body()
            self.requests.append(
                Recorded(
                    method=request.method,
                    path=request.url.path,
                    query=dict(request.query_params),
                    headers=dict(request.headers),
                    body=json.loads(raw) if raw else None,
                )
            )
            if self.canned:
                canned = self.canned.pop(0)
                await asyncio.sleep(canned.delay)
                return Response(
                    canned.body,
                    status_code=canned.status,
                    headers=canned.headers,
                    media_type="application/json",
                )
            if not self._authorised(request):
                return _error("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401)
            response: Response = await call_next(request)
            return response

        @app.get("/wp-json/wc/v3/orders")
        async def list_orders() -> Response:
            return JSONResponse(list(self.orders.values())[:1])

        @app.get("/wp-json/wc/v3/orders/{order_id}")
        async def get_order(order_id: int) -> Response:
            if order_id not in self.orders:
                return _error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
            return JSONResponse(self.orders[order_id])

        @app.put("/wp-json/wc/v3/orders/{order_id}")
        async def update_order(order_id: int, request: Request) -> Response:
            if order_id not in self.orders:
                return _error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
            body = await request.json()
            if "status" in body and body["status"] not in STATUSES:
                return _error("rest_invalid_param", "Invalid parameter(s): status", 400)
            self.orders[order_id].update(body)
            return JSONResponse(self.orders[order_id])

        @app.get("/wp-json/wc/v3/orders/{order_id}/notes")
        async def list_notes(order_id: int, type: str = "any") -> Response:
            if order_id not in self.orders:
                return _error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
            notes = self.notes[order_id]
            if type != "any":
                notes = [n for n in notes if n["customer_note"] == (type == "customer")]
            return JSONResponse(notes)

        @app.post("/wp-json/wc/v3/orders/{order_id}/notes")
        async def create_note(order_id: int, request: Request) -> Response:
            if order_id not in self.orders:
                return _error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
            body = await request.json()
            if not body.get("note"):
                return _error(
                    "woocommerce_rest_invalid_order_note", "Cannot create order note, please try again.", 400
                )
            note = {
                "id": 700 + sum(len(n) for n in self.notes.values()),
                "author": "system",
                "date_created": "2026-01-17T12:00:00",
                "date_created_gmt": "2026-01-17T20:00:00",
                "note": body["note"],
                "customer_note": bool(body.get("customer_note", False)),
            }
            self.notes[order_id].append(note)
            return JSONResponse(note, status_code=201)

        return app
