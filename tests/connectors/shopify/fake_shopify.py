"""A local stand-in for the Shopify Admin GraphQL API: keeps orders, fulfillment orders and fulfillments,
product variants, locations and inventory quantities, answers the operations our writer and inventory
target send in Shopify's documented shapes, and records every request."""

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
_SKU_TERM = re.compile(r'sku:(?:"((?:[^"\\]|\\.)*)"|(\S+))')
# Shopify's reasons for inventory changes (shopify.dev: inventory quantities and states).
REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}
MAX_INPUT_SIZE = 250
PRIMARY_LOCATION = "gid://shopify/Location/65432101"


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
        # Answers for the next requests of one operation (by name), before anything else.
        self.canned_ops: dict[str, list[Canned]] = {}
        self._next_fulfillment = 1
        self.variants: list[dict[str, Any]] = []
        self.locations: dict[str, dict[str, Any]] = {}
        self.primary_location: str | None = None
        # (inventory item id, location id) -> units available; a key exists where the item is stocked.
        self.available: dict[tuple[str, str], int] = {}
        self._next_group = 1
        self.app = self._build_app()
        self._default_locations()

    def reset(self) -> None:
        self.orders.clear()
        self.requests.clear()
        self.canned.clear()
        self.canned_ops.clear()
        self._next_fulfillment = 1
        self.variants.clear()
        self.locations.clear()
        self.available.clear()
        self._next_group = 1
        self._default_locations()

    def _default_locations(self) -> None:
        self.locations[PRIMARY_LOCATION] = {"id": PRIMARY_LOCATION, "name": "Shop location", "isActive": True}
        self.primary_location = PRIMARY_LOCATION

    def add_location(self, location_id: int, name: str) -> str:
        gid = f"gid://shopify/Location/{location_id}"
        self.locations[gid] = {"id": gid, "name": name, "isActive": True}
        return gid

    def add_variant(
        self,
        variant_id: int,
        sku: str | None,
        *,
        available: int = 0,
        tracked: bool = True,
        locations: list[str] | None = None,
    ) -> str:
        """A variant whose inventory item is stocked at `locations` (default: the primary location)."""
        item = f"gid://shopify/InventoryItem/{variant_id + 40_000_000}"
        self.variants.append(
            {
                "id": f"gid://shopify/ProductVariant/{variant_id}",
                "sku": sku,
                "inventoryItem": {"id": item, "tracked": tracked},
            }
        )
        for location in locations if locations is not None else [PRIMARY_LOCATION]:
            self.available[(item, location)] = available
        return item

    def sets(self) -> list[list[dict[str, Any]]]:
        """The quantities of every inventorySetQuantities call, in order."""
        return [
            r.variables["input"]["quantities"] for r in self.requests if r.operation == "WarpwareInventorySet"
        ]

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
            op_canned = self.canned_ops.get(match.group(2) if match else "")
            if self.canned or op_canned:
                canned = op_canned.pop(0) if op_canned else self.canned.pop(0)
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
        elif operation == "WarpwareVariantsBySku":
            data = {"productVariants": self._variants(variables)}
        elif operation == "WarpwarePrimaryLocation":
            data = {"location": self.locations.get(self.primary_location or "")}
        elif operation == "WarpwareInventorySet":
            size = len(variables["input"]["quantities"])
            if size > MAX_INPUT_SIZE:
                return {
                    "errors": [
                        {
                            "message": f"The input array size of {size} is greater than the maximum "
                            f"allowed of {MAX_INPUT_SIZE}.",
                            "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
                        }
                    ]
                }
            data = {"inventorySetQuantities": self._set_quantities(variables["input"])}
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

    def _variants(self, variables: dict[str, Any]) -> dict[str, Any]:
        # Like Shopify's search, a term matches loosely (here: a SKU starting with it), so callers must
        # compare SKUs exactly themselves.
        terms = [
            re.sub(r"\\(.)", r"\1", quoted) if quoted is not None and quoted != "" else bare
            for quoted, bare in _SKU_TERM.findall(variables["query"])
        ]
        matches = [
            v for v in self.variants if v["sku"] and any(v["sku"].startswith(term) for term in terms if term)
        ]
        start = int(variables.get("after") or 0)
        first = int(variables["first"])
        page = matches[start : start + first]
        more = start + first < len(matches)
        return {
            "nodes": page,
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + first) if page else None},
        }

    def _set_quantities(self, data: dict[str, Any]) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []
        if data.get("name") not in ("available", "on_hand"):
            errors.append(
                {
                    "code": "INVALID_NAME",
                    "field": ["input", "name"],
                    "message": "The quantity name must be available or on_hand.",
                }
            )
        if data.get("reason") not in REASONS:
            errors.append(
                {
                    "code": "INVALID_REASON",
                    "field": ["input", "reason"],
                    "message": "The specified reason is invalid.",
                }
            )
        changes: list[tuple[tuple[str, str], int]] = []
        items = {v["inventoryItem"]["id"] for v in self.variants}
        for index, entry in enumerate(data["quantities"]):
            path = ["input", "quantities", str(index)]
            item, location, quantity = entry["inventoryItemId"], entry["locationId"], entry["quantity"]
            if item not in items:
                errors.append(
                    {
                        "code": "INVALID_INVENTORY_ITEM",
                        "field": [*path, "inventoryItemId"],
                        "message": "The specified inventory item could not be found.",
                    }
                )
            elif location not in self.locations:
                errors.append(
                    {
                        "code": "INVALID_LOCATION",
                        "field": [*path, "locationId"],
                        "message": "The specified location could not be found.",
                    }
                )
            elif (item, location) not in self.available:
                errors.append(
                    {
                        "code": "ITEM_NOT_STOCKED_AT_LOCATION",
                        "field": [*path, "locationId"],
                        "message": "The specified inventory item is not stocked at the location.",
                    }
                )
            elif quantity < 0:
                errors.append(
                    {
                        "code": "INVALID_QUANTITY_NEGATIVE",
                        "field": [*path, "quantity"],
                        "message": "The quantity can't be negative.",
                    }
                )
            elif not data.get("ignoreCompareQuantity") and "compareQuantity" not in entry:
                errors.append(
                    {
                        "code": "COMPARE_QUANTITY_REQUIRED",
                        "field": [*path, "compareQuantity"],
                        "message": "The compareQuantity argument must be given to each quantity or ignored "
                        "using ignoreCompareQuantity.",
                    }
                )
            else:
                changes.append(((item, location), quantity))
        if errors:
            # The mutation applies all of its quantities or none.
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        for key, quantity in changes:
            self.available[key] = quantity
        group = f"gid://shopify/InventoryAdjustmentGroup/{self._next_group}"
        self._next_group += 1
        return {"inventoryAdjustmentGroup": {"id": group}, "userErrors": []}

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
