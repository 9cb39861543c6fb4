"""The generic HTTP warehouse against a local warehouse server: signed posts, ids, error answers,
and the whole pipeline with the signed tracking callback."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from tests.pipeline.conftest import Pipeline
from tests.servers import thread_server
from warpware.connectors.base import (
    Address,
    LineItem,
    OutboundOrder,
    PermanentConnectorError,
    RetryableConnectorError,
)
from warpware.connectors.http_warehouse.destination import (
    HttpWarehouseCredentials,
    HttpWarehouseDestination,
    HttpWarehouseSettings,
)

SECRET = "wh-signing-secret"


@dataclass
class Warehouse:
    """Keeps orders by reference (so a resend creates nothing) and answers what the test queues."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    bad_signatures: int = 0
    delay: float = 0.0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/orders")
        async def create(request: Request) -> JSONResponse:
            body = await request.body()
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, request.headers.get("x-warpware-signature", "")):
                self.bad_signatures += 1
                return JSONResponse({"error": "bad signature"}, status_code=401)
            if self.delay:
                # A warehouse too slow to answer: the client has given up; store nothing, so the late
                # request cannot land in the next test's state.
                time.sleep(self.delay)
                return JSONResponse({"error": "too slow"}, status_code=504)
            if self.answers:
                status, payload, headers = self.answers.pop(0)
                return JSONResponse(payload, status_code=status, headers=headers)
            order = json.loads(body)
            existed = order["reference"] in self.orders
            self.orders.setdefault(order["reference"], order)
            return JSONResponse(
                {"id": f"WH-{len(self.orders)}", "status": "received"}, status_code=200 if existed else 201
            )

        return app


@pytest.fixture(scope="module")
def warehouse_server() -> Iterator[tuple[Warehouse, str]]:
    warehouse = Warehouse()
    with thread_server(warehouse.app()) as url:
        yield warehouse, url


@pytest.fixture
def warehouse(warehouse_server: tuple[Warehouse, str]) -> tuple[Warehouse, str]:
    state, url = warehouse_server
    state.orders.clear()
    state.answers.clear()
    state.bad_signatures = 0
    state.delay = 0.0
    return state, url


def _destination(url: str, **settings: Any) -> HttpWarehouseDestination:
    return HttpWarehouseDestination(
        HttpWarehouseSettings(url=f"{url}/orders", **settings),
        HttpWarehouseCredentials(signing_secret=SecretStr(SECRET)),
    )


ORDER = OutboundOrder(
    reference="3fa85f64-5717-4562-b3fc-2c963f66afa6",
    external_id="ORDER-1234",
    line_items=(LineItem(sku="WIDGET-RED-LG", quantity=2, price=Decimal("29.99"), name="Red Widget"),),
    shipping_address=Address(
        name="Jane Smith", address1="123 Main St", city="New York", state="NY", zip="10001"
    ),
    customer_email="jane@example.com",
)


def test_submit_posts_signed_order_json(warehouse: tuple[Warehouse, str]) -> None:
    state, url = warehouse
    result = _destination(url).submit(ORDER)
    assert (result.destination_order_id, result.raw_status, result.response_status) == (
        "WH-1",
        "received",
        201,
    )
    sent = state.orders[ORDER.reference]
    assert sent["external_id"] == "ORDER-1234"
    assert sent["line_items"] == [
        {"sku": "WIDGET-RED-LG", "name": "Red Widget", "quantity": 2, "price": 29.99}
    ]
    assert sent["shipping_address"]["zip"] == "10001" and state.bad_signatures == 0
    again = _destination(url).submit(ORDER)
    assert again.already_existed is True and len(state.orders) == 1


@pytest.mark.parametrize(
    ("status", "headers", "kind", "category", "retry_after"),
    [
        (429, {"Retry-After": "7"}, RetryableConnectorError, "rate_limit", 7.0),
        (503, {}, RetryableConnectorError, "server", None),
        (422, {}, PermanentConnectorError, "validation", None),
        (401, {}, PermanentConnectorError, "auth", None),
    ],
)
def test_remote_errors_are_classified(
    warehouse: tuple[Warehouse, str],
    status: int,
    headers: dict[str, str],
    kind: type[Exception],
    category: str,
    retry_after: float | None,
) -> None:
    state, url = warehouse
    state.answers.append((status, {"error": "nope"}, headers))
    with pytest.raises(kind) as caught:
        _destination(url).submit(ORDER)
    assert caught.value.category == category  # type: ignore[attr-defined]
    assert getattr(caught.value, "retry_after", None) == retry_after


def test_timeout_and_unreachable_are_network_timeouts(warehouse: tuple[Warehouse, str]) -> None:
    state, url = warehouse
    state.delay = 1.0
    with pytest.raises(RetryableConnectorError) as slow:
        _destination(url, timeout=0.2).submit(ORDER)
    assert slow.value.category == "network_timeout"
    with pytest.raises(RetryableConnectorError) as down:
        _destination("http://127.0.0.1:9").submit(ORDER)
    assert down.value.category == "network_timeout"


def test_pipeline_through_http_warehouse_and_signed_callback(
    pipeline: Pipeline, warehouse: tuple[Warehouse, str]
) -> None:
    state, url = warehouse
    tenant = pipeline.tenant
    connection = tenant.post(
        "/partner/v1/connections",
        json={
            "name": "HTTP DC",
            "type": "http",
            "settings": {"url": f"{url}/orders"},
            "is_default": True,
            "credentials": {"signing_secret": SECRET},
        },
    ).json()["data"]
    order_id = pipeline.order("HTTP-1")
    pipeline.run_jobs()
    order = pipeline.get(order_id)
    assert (order["status"], order["connection_id"], order["route_destination_type"]) == (
        "processing",
        connection["id"],
        "http",
    )
    assert order["destination_order_id"] == "WH-1" and state.bad_signatures == 0
    body = json.dumps(
        {
            "reference": order_id,
            "status": "shipped",
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
        }
    ).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = tenant.client.post(
        f"/hooks/connections/{connection['id']}/tracking",
        content=body,
        headers={"Content-Type": "application/json", "X-WarpWare-Signature": signature},
    )
    assert answer.status_code == 200, answer.text
    assert pipeline.get(order_id)["tracking_number"] == "1Z999AA10123456784"
