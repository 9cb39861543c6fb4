"""A local stand-in for the ShipStation v1 API: a createorder upsert keyed on orderKey, orders by id,
shipments with the documented list filters and paging, rate-limit headers, and a record of requests."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from tests.servers import thread_server as serve  # noqa: F401  (re-exported)

API_KEY = "ss_key_2f8c1d"
API_SECRET = "ss_secret_9a7b3e"
ORDER_STATUSES = {
    "awaiting_payment",
    "awaiting_shipment",
    "pending_fulfillment",
    "shipped",
    "on_hold",
    "cancelled",
}
OPEN_STATUSES = {"awaiting_payment", "awaiting_shipment", "on_hold"}


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


class FakeShipStation:
    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}  # by orderKey
        self.shipments: list[dict[str, Any]] = []
        self.requests: list[Recorded] = []
        self.canned: list[Canned] = []
        self.remaining = 40
        self.page_size = 100
        self._next_id = 94113000
        self.app = self._build_app()

    def reset(self) -> None:
        self.orders.clear()
        self.shipments.clear()
        self.requests.clear()
        self.canned.clear()
        self.remaining = 40
        self.page_size = 100
        self._next_id = 94113000

    def order_by_id(self, order_id: int) -> dict[str, Any] | None:
        return next((o for o in self.orders.values() if o["orderId"] == order_id), None)

    def add_shipment(self, order: dict[str, Any], **fields: Any) -> dict[str, Any]:
        shipment = {
            "shipmentId": 33974374 + len(self.shipments),
            "orderId": order["orderId"],
            "orderKey": order["orderKey"],
            "userId": "c9f06d74-95de-4263-9b04-e87095cababf",
            "orderNumber": order["orderNumber"],
            "createDate": "2026-01-17T06:51:33.6270000",
            "shipDate": "2026-01-17",
            "shipmentCost": 7.3,
            "insuranceCost": 0,
            "trackingNumber": "9400111899223197428490",
            "isReturnLabel": False,
            "batchNumber": "100301",
            "carrierCode": "stamps_com",
            "serviceCode": "usps_ground_advantage",
            "packageCode": "package",
            "confirmation": "delivery",
            "warehouseId": 4471,
            "voided": False,
            "voidDate": None,
            "marketplaceNotified": False,
            "notifyErrorMessage": None,
            "shipTo": order["shipTo"],
            "weight": {"value": 16, "units": "ounces", "WeightUnits": 1},
            "dimensions": None,
            "insuranceOptions": None,
            "advancedOptions": None,
            "shipmentItems": None,
            "labelData": None,
            "formData": None,
            "batchId": 7781,
        }
        shipment.update(fields)
        self.shipments.append(shipment)
        return shipment

    def _headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": "40",
            "X-Rate-Limit-Remaining": str(max(self.remaining, 0)),
            "X-Rate-Limit-Reset": "37",
        }

    def _build_app(self) -> FastAPI:
        app = FastAPI()
        expected_auth = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()

        @app.middleware("http")
        async def gate(request: Request, call_next: Any) -> Response:
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
            if request.headers.get("authorization") != expected_auth:
                return Response("401 Unauthorized", status_code=401, media_type="text/plain")
            self.remaining -= 1
            if self.remaining < 0:
                return JSONResponse(
                    {"Message": "Too Many Requests"}, status_code=429, headers=self._headers()
                )
            response: Response = await call_next(request)
            response.headers.update(self._headers())
            return response

        @app.post("/orders/createorder")
        async def create_order(request: Request) -> Response:
            body = await request.json()
            problems = {
                f"apiOrder.{name}": [f"The {name} field is required."]
                for name in ("orderNumber", "orderDate", "orderStatus", "billTo", "shipTo")
                if not body.get(name)
            }
            if body.get("orderStatus") and body["orderStatus"] not in ORDER_STATUSES:
                problems["apiOrder.orderStatus"] = ["The orderStatus is not valid."]
            if problems:
                return JSONResponse(
                    {"Message": "The request is invalid.", "ModelState": problems}, status_code=400
                )
            key = body.get("orderKey")
            existing = self.orders.get(key) if key else None
            # The docs say only open orders can be updated; the exact refusal is our assumption.
            if existing is not None and existing["orderStatus"] not in OPEN_STATUSES:
                return JSONResponse(
                    {
                        "Message": "An error has occurred.",
                        "ExceptionMessage": f"Order {existing['orderId']} is {existing['orderStatus']} and "
                        "cannot be updated.",
                    },
                    status_code=500,
                )
            if existing is None:
                self._next_id += 1
                key = key or f"generated-{self._next_id}"
                existing = {"orderId": self._next_id, "createDate": "2026-01-17T05:10:00.0000000"}
            order = {
                **existing,
                **body,
                "orderKey": key,
                "orderId": existing["orderId"],
                "modifyDate": "2026-01-17T05:10:00.0000000",
                "customerId": 37701499,
                "orderTotal": sum((i.get("unitPrice") or 0) * i["quantity"] for i in body.get("items", [])),
                "externallyFulfilled": False,
                "labelMessages": None,
            }
            self.orders[key] = order
            return JSONResponse(order)

        @app.get("/orders/{order_id}")
        async def get_order(order_id: int) -> Response:
            order = self.order_by_id(order_id)
            if order is None:
                return JSONResponse({"Message": f"Order {order_id} not found."}, status_code=404)
            return JSONResponse(order)

        @app.get("/shipments")
        async def list_shipments(request: Request) -> Response:
            query = request.query_params
            found = self.shipments
            for name, key in (
                ("orderId", "orderId"),
                ("orderNumber", "orderNumber"),
                ("batchId", "batchId"),
                ("storeID", None),
            ):
                if name in query and key is not None:
                    found = [s for s in found if str(s[key]) == query[name]]
            if query.get("sortDir") == "DESC":
                found = sorted(found, key=lambda s: s["createDate"], reverse=True)
            size = int(query.get("pageSize", self.page_size))
            page = int(query.get("page", 1))
            pages = max(1, -(-len(found) // size))
            return JSONResponse(
                {
                    "shipments": found[(page - 1) * size : page * size],
                    "total": len(found),
                    "page": page,
                    "pages": pages,
                }
            )

        @app.get("/stores")
        async def stores() -> Response:
            return JSONResponse(
                [
                    {
                        "storeId": 22766,
                        "storeName": "Warpware Manual Store",
                        "marketplaceId": 0,
                        "marketplaceName": "ShipStation",
                        "active": True,
                    }
                ]
            )

        return app
