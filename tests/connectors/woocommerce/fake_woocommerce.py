"""A local stand-in for a WooCommerce store's wc/v3 REST API: orders and their notes, products and
variations with their stock, the batch endpoints, Woo's error bodies ({code, message, data.status}),
Basic or query-string key auth, and a record of every request."""

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
BATCH_LIMIT = 100
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
        self.products: dict[int, dict[str, Any]] = {}
        # Product id -> (code, message) a batch update of it is refused with (a plugin's veto, a lock).
        self.refuse: dict[int, tuple[str, str]] = {}
        # Answers for the next requests to one path, before anything else.
        self.canned_paths: dict[str, list[Canned]] = {}
        self.requests: list[Recorded] = []
        self.canned: list[Canned] = []
        self.app = self._build_app()

    def reset(self) -> None:
        self.orders.clear()
        self.notes.clear()
        self.products.clear()
        self.refuse.clear()
        self.canned_paths.clear()
        self.requests.clear()
        self.canned.clear()

    def add_order(self, order_id: int, status: str = "processing") -> None:
        self.orders[order_id] = {"id": order_id, "number": str(order_id), "status": status}
        self.notes[order_id] = []

    def add_product(
        self, product_id: int, sku: str, *, parent_id: int = 0, stock_quantity: int | None = None
    ) -> None:
        """A simple product, or with `parent_id` a variation of that variable product."""
        if parent_id:
            self.products.setdefault(
                parent_id,
                {
                    "id": parent_id,
                    "sku": "",
                    "type": "variable",
                    "parent_id": 0,
                    "manage_stock": False,
                    "stock_quantity": None,
                },
            )
        self.products[product_id] = {
            "id": product_id,
            "sku": sku,
            "type": "variation" if parent_id else "simple",
            "parent_id": parent_id,
            "manage_stock": stock_quantity is not None,
            "stock_quantity": stock_quantity,
        }

    def stock(self) -> dict[str, int | None]:
        return {p["sku"]: p["stock_quantity"] for p in self.products.values() if p["sku"]}

    def batches(self) -> list[tuple[str, list[dict[str, Any]]]]:
        return [(r.path, r.body["update"]) for r in self.requests if r.path.endswith("/batch")]

    def _batch(self, items: list[dict[str, Any]], parent_id: int | None) -> dict[str, Any]:
        answers: list[dict[str, Any]] = []
        for item in items:
            product = self.products.get(int(item.get("id", 0)))
            is_variation = product is not None and product["type"] == "variation"
            ok = product is not None and (
                (parent_id is None and not is_variation)
                or (parent_id is not None and is_variation and product["parent_id"] == parent_id)
            )
            if not ok or product is None:
                code = (
                    "woocommerce_rest_product_invalid_id"
                    if parent_id is None
                    else "woocommerce_rest_product_variation_invalid_id"
                )
                answers.append(
                    {
                        "id": item.get("id", 0),
                        "error": {"code": code, "message": "Invalid ID.", "data": {"status": 400}},
                    }
                )
                continue
            if product["id"] in self.refuse:
                code, message = self.refuse[product["id"]]
                answers.append(
                    {
                        "id": product["id"],
                        "error": {"code": code, "message": message, "data": {"status": 403}},
                    }
                )
                continue
            for key in ("manage_stock", "stock_quantity"):
                if key in item:
                    product[key] = item[key]
            answers.append(dict(product))
        return {"update": answers}

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
            path_canned = self.canned_paths.get(request.url.path)
            if self.canned or path_canned:
                canned = path_canned.pop(0) if path_canned else self.canned.pop(0)
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

        @app.get("/wp-json/wc/v3/products")
        async def list_products(sku: str = "", per_page: int = 10, page: int = 1) -> Response:
            if sku:
                # Woo splits on commas and, for several, also matches the whole string; then it
                # searches variations as well as products.
                skus = sku.split(",")
                if len(skus) > 1:
                    skus.append(sku)
                rows = [p for p in self.products.values() if p["sku"] in skus]
            else:
                rows = [p for p in self.products.values() if p["type"] != "variation"]
            start = (page - 1) * per_page
            return JSONResponse(rows[start : start + per_page])

        @app.post("/wp-json/wc/v3/products/batch")
        async def products_batch(request: Request) -> Response:
            body = await request.json()
            if len(body.get("update", [])) > BATCH_LIMIT:
                return _error(
                    "woocommerce_rest_request_entity_too_large",
                    f"Unable to accept more than {BATCH_LIMIT} items for this request.",
                    413,
                )
            return JSONResponse(self._batch(body.get("update", []), None))

        @app.post("/wp-json/wc/v3/products/{parent_id}/variations/batch")
        async def variations_batch(parent_id: int, request: Request) -> Response:
            body = await request.json()
            if len(body.get("update", [])) > BATCH_LIMIT:
                return _error(
                    "woocommerce_rest_request_entity_too_large",
                    f"Unable to accept more than {BATCH_LIMIT} items for this request.",
                    413,
                )
            return JSONResponse(self._batch(body.get("update", []), parent_id))

        return app
