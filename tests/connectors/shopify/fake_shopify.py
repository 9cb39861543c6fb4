"""A local stand-in for the Shopify Admin GraphQL API: keeps orders, fulfillment orders and fulfillments,
answers the operations our writer sends in Shopify's documented shapes, and records every request."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from tests.servers import thread_server as serve  # noqa: F401  (re-exported)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shopify"
API_VERSION = "2025-01"
TOKEN = "shpat_test_4f1c2a9e"
_OPERATION = re.compile(r"^\s*(query|mutation)\s+(\w+)")


@dataclass
class Canned:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    operation: str | None
    query: str
    variables: dict[str, Any]


class FakeShopify:
    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.canned: list[Canned] = []
        self._next_fulfillment = 1
        self.app = self._build_app()

    def reset(self) -> None:
        self.orders.clear()
        self.requests.clear()
        self.canned.clear()
        self._next_fulfillment = 1

    def add_order(
        self,
        order_id: int,
        fulfillment_orders: list[dict[str, Any]],
        fulfillments: list[dict[str, Any]] | None = None,
    ) -> str:
        gid = f"gid://shopify/Order/{order_id}"
        self.orders[gid] = {
            "id": gid,
            "name": f"#{order_id % 10000}",
            "fulfillmentOrders": fulfillment_orders,
            "fulfillments": fulfillments or [],
        }
        return gid

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/admin/api/{version}/graphql.json")
        async def graphql(version: str, request: Request) -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            query = str(body.get("query", ""))
            match = _OPERATION.match(query)
            self.requests.append(
                Recorded(
                    path=request.url.path,
                    headers=dict(request.headers),
                    operation=match.group(2) if match else None,
                    query=query,
                    variables=body.get("variables") or {},
                )
            )
            if self.canned:
                canned = self.canned.pop(0)
                if canned.delay:
                    await asyncio.sleep(canned.delay)
                return Response(
                    canned.body,
                    status_code=canned.status,
                    headers=canned.headers,
                    media_type="application/json",
                )
            if request.headers.get("x-shopify-access-token") != TOKEN:
                return JSONResponse(
                    {
                        "errors": "[API] Invalid API key or access token (unrecognized login or "
                        "wrong password)"
                    },
                    status_code=401,
                )
            if version != API_VERSION or request.headers.get("content-type") != "application/json":
                return JSONResponse({"errors": "Not Found"}, status_code=404)
            if match is None:
                return JSONResponse({"errors": [{"message": "syntax error, unexpected end of file"}]})
            return JSONResponse(self._resolve(match.group(2), body.get("variables") or {}))

        return app

    def _resolve(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        cost = {
            "requestedQueryCost": 10,
            "actualQueryCost": 10,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": 1990.0,
                "restoreRate": 100.0,
            },
        }
        if operation == "WarpwareShop":
            data: dict[str, Any] = {"shop": {"name": "Warpware Demo"}}
        elif operation == "WarpwareFulfillmentState":
            order = self.orders.get(variables["id"])
            data = {
                "order": None
                if order is None
                else {
                    "id": order["id"],
                    "name": order["name"],
                    "fulfillmentOrders": {"nodes": order["fulfillmentOrders"]},
                    "fulfillments": order["fulfillments"],
                }
            }
        elif operation == "WarpwareFulfillmentCreate":
            data = {"fulfillmentCreate": self._create(variables["fulfillment"])}
        elif operation == "WarpwareTrackingUpdate":
            data = {"fulfillmentTrackingInfoUpdate": self._update(variables)}
        else:
            return {
                "errors": [
                    {
                        "message": f"Field '{operation}' doesn't exist",
                        "extensions": {"code": "undefinedField"},
                    }
                ]
            }
        return {"data": data, "extensions": {"cost": cost}}

    def _find_fo(self, fo_id: str) -> dict[str, Any] | None:
        for order in self.orders.values():
            for fo in order["fulfillmentOrders"]:
                if fo["id"] == fo_id:
                    return {"order": order, "fo": fo}
        return None

    def _create(self, fulfillment: dict[str, Any]) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []
        found_order: dict[str, Any] | None = None
        plan: list[tuple[dict[str, Any], int]] = []
        for group in fulfillment["lineItemsByFulfillmentOrder"]:
            found = self._find_fo(group["fulfillmentOrderId"])
            if found is None:
                errors.append({"field": ["fulfillment"], "message": "Fulfillment order does not exist."})
                continue
            fo, found_order = found["fo"], found["order"]
            if fo["status"] not in ("OPEN", "IN_PROGRESS"):
                errors.append(
                    {
                        "field": ["fulfillment"],
                        "message": f"Fulfillment order {fo['id']} has an unfulfillable status= "
                        f"{fo['status'].lower()}.",
                    }
                )
                continue
            for wanted in group["fulfillmentOrderLineItems"]:
                line = next((n for n in fo["lineItems"]["nodes"] if n["id"] == wanted["id"]), None)
                if line is None or not 0 < wanted["quantity"] <= line["remainingQuantity"]:
                    errors.append(
                        {
                            "field": ["fulfillment"],
                            "message": "Invalid fulfillment order line item quantity requested.",
                        }
                    )
                else:
                    plan.append((line, wanted["quantity"]))
        if errors or found_order is None:
            return {"fulfillment": None, "userErrors": errors}
        for line, quantity in plan:
            line["remainingQuantity"] -= quantity
        for group in fulfillment["lineItemsByFulfillmentOrder"]:
            fo = self._find_fo(group["fulfillmentOrderId"])["fo"]  # type: ignore[index]
            left = sum(n["remainingQuantity"] for n in fo["lineItems"]["nodes"])
            fo["status"] = "CLOSED" if left == 0 else "IN_PROGRESS"
        tracking = fulfillment["trackingInfo"]
        created = {
            "id": f"gid://shopify/Fulfillment/{5550000 + self._next_fulfillment}",
            "status": "SUCCESS",
            "createdAt": f"2026-01-17T12:00:{self._next_fulfillment:02d}Z",
            "trackingInfo": [
                {"company": tracking.get("company"), "number": tracking["number"], "url": tracking.get("url")}
            ],
        }
        self._next_fulfillment += 1
        found_order["fulfillments"].append(created)
        return {"fulfillment": {k: created[k] for k in ("id", "status", "trackingInfo")}, "userErrors": []}

    def _update(self, variables: dict[str, Any]) -> dict[str, Any]:
        for order in self.orders.values():
            for fulfillment in order["fulfillments"]:
                if fulfillment["id"] == variables["fulfillmentId"]:
                    info = variables["trackingInfoInput"]
                    fulfillment["trackingInfo"] = [
                        {"company": info.get("company"), "number": info["number"], "url": info.get("url")}
                    ]
                    return {
                        "fulfillment": {"id": fulfillment["id"], "trackingInfo": fulfillment["trackingInfo"]},
                        "userErrors": [],
                    }
        return {
            "fulfillment": None,
            "userErrors": [{"field": ["fulfillmentId"], "message": "Fulfillment does not exist."}],
        }


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data
