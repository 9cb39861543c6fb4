"""Inventory tests: the Partner API over a real database, and the pipeline against the sandbox warehouse."""

from __future__ import annotations

from typing import Any

from tests.conftest import Tenant
from tests.pipeline.conftest import Clock, Pipeline, clock, pipeline, run_jobs, sandbox, sandbox_server

__all__ = ["Clock", "Pipeline", "clock", "pipeline", "run_jobs", "sandbox", "sandbox_server"]


def set_level(tenant: Tenant, sku: str, on_hand: int, warehouse: str | None = None, **extra: Any) -> Any:
    body: dict[str, Any] = {"sku": sku, "quantity_on_hand": on_hand, **extra}
    if warehouse is not None:
        body["warehouse"] = warehouse
    response = tenant.post("/partner/v1/inventory/levels", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


def put_product(tenant: Tenant, sku: str, **body: Any) -> Any:
    response = tenant.client.put(
        f"/partner/v1/products/{sku}", json=body, headers={"Authorization": f"Bearer {tenant.key}"}
    )
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


def sandbox_connection(tenant: Tenant, base_url: str, name: str, **settings: Any) -> str:
    response = tenant.post(
        "/partner/v1/connections",
        json={"name": name, "type": "sandbox", "settings": {"base_url": base_url, **settings}},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])
