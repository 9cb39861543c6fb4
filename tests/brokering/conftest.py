"""Brokering end to end: the Partner API, worker jobs and the sandbox warehouse on both databases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import order_body
from tests.pipeline.conftest import Clock, Pipeline, clock, pipeline, run_jobs, sandbox, sandbox_server
from warpware.sandbox import SandboxServer

__all__ = ["Clock", "Pipeline", "clock", "pipeline", "run_jobs", "sandbox", "sandbox_server"]

# Two warehouses far apart: East in Manhattan, West in Los Angeles.
EAST_ZIP, WEST_ZIP = "10001", "90012"
NEAR_EAST, NEAR_WEST = "10003", "90210"


@dataclass
class Broker:
    pipeline: Pipeline
    east: str  # connection ids
    west: str

    @property
    def tenant(self) -> Any:
        return self.pipeline.tenant

    def settings(self, **body: Any) -> dict[str, Any]:
        response = self.tenant.client.put(
            "/partner/v1/brokering/settings",
            json=body,
            headers={"Authorization": f"Bearer {self.tenant.key}"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json()["data"])

    def location(self, ref: str, **body: Any) -> Any:
        return self.tenant.client.put(
            f"/partner/v1/brokering/locations/{ref}",
            json=body,
            headers={"Authorization": f"Bearer {self.tenant.key}"},
        )

    def stock(self, sku: str, on_hand: int, warehouse: str) -> None:
        response = self.tenant.post(
            "/partner/v1/inventory/levels",
            json={"sku": sku, "quantity_on_hand": on_hand, "warehouse": warehouse},
        )
        assert response.status_code in (200, 201), response.text

    def level(self, sku: str, warehouse: str) -> tuple[int, int]:
        rows = self.tenant.get(f"/partner/v1/inventory?sku={sku}").json()["data"]
        row = next(r for r in rows if r["warehouse"] == warehouse)
        return int(row["quantity_on_hand"]), int(row["quantity_committed"])

    def order(
        self, external_id: str, lines: list[tuple[str, int]], zip: str = NEAR_WEST, **extra: Any
    ) -> str:
        body = order_body(
            external_id,
            line_items=[{"sku": sku, "quantity": qty, "price": 10} for sku, qty in lines],
            shipping_address={
                "name": "Jane Smith",
                "address1": "1 Main St",
                "city": "X",
                "state": "CA",
                "zip": zip,
            },
            **extra,
        )
        response = self.tenant.post("/partner/v1/orders", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"])

    def run(self, **body: Any) -> dict[str, Any]:
        response = self.tenant.post("/partner/v1/brokering/runs", json=body)
        assert response.status_code == 202, response.text
        run_id = response.json()["data"]["id"]
        self.pipeline.run_jobs()
        data: dict[str, Any] = self.tenant.get(f"/partner/v1/brokering/runs/{run_id}").json()["data"]
        assert data["status"] == "finished", data
        return data

    def get(self, order_id: str) -> dict[str, Any]:
        return dict(self.pipeline.get(order_id))

    def state(self, order_id: str) -> dict[str, Any]:
        response = self.tenant.get(f"/partner/v1/brokering/orders/{order_id}")
        assert response.status_code == 200, response.text
        return dict(response.json()["data"])

    def types(self, order_id: str) -> list[str]:
        return self.pipeline.types(order_id)

    def messages(self, order_id: str) -> list[str]:
        return [str(e["message"]) for e in self.pipeline.events(order_id)]

    def queue(self, name: str) -> list[dict[str, Any]]:
        response = self.tenant.get(f"/partner/v1/brokering/queues/{name}/orders?per_page=100")
        assert response.status_code == 200, response.text
        return list(response.json()["data"])


def facilities(sandbox: httpx.Client) -> dict[str, list[int]]:
    """reference (our order id) → the facility ids the sandbox warehouse received it at."""
    sent: dict[str, list[int]] = {}
    for order in sandbox.get("/_sandbox/orders").json()["orders"]:
        sent.setdefault(order["referenceNum"], []).append(order["received"]["facilityIdentifier"]["id"])
    return sent


def _connection(pipeline: Pipeline, url: str, name: str, facility: int) -> str:
    response = pipeline.tenant.post(
        "/partner/v1/connections",
        json={"name": name, "type": "sandbox", "settings": {"base_url": url, "facility_id": facility}},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


@pytest.fixture
def broker(pipeline: Pipeline, sandbox_server: SandboxServer) -> Broker:
    """Brokering on, with East and West as brokering locations (the pipeline's default sandbox is not one)."""
    east = _connection(pipeline, sandbox_server.url, "East", 2)
    west = _connection(pipeline, sandbox_server.url, "West", 3)
    broker = Broker(pipeline, east, west)
    assert broker.location(east, zip=EAST_ZIP, kind="warehouse").status_code == 200
    assert broker.location(west, zip=WEST_ZIP, kind="store").status_code == 200
    broker.settings(enabled=True)
    return broker
