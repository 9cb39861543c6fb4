"""PATCH /orders/{id} (the reference's transition table) and POST /orders/{id}/cancel."""

from __future__ import annotations

import pytest

from tests.conftest import Tenant, order_body


def _create(tenant: Tenant, external_id: str | None = None) -> str:
    response = tenant.post("/partner/v1/orders", json=order_body(external_id))
    assert response.status_code == 201
    return str(response.json()["data"]["id"])


def test_reference_patch_example(tenant: Tenant) -> None:
    order_id = _create(tenant)
    response = tenant.patch(
        f"/partner/v1/orders/{order_id}",
        content='{ "tracking_number": "1Z999AA10123456784", "carrier": "UPS", "status": "shipped" }',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"id": order_id, "updated": True, "status": "shipped"}, "meta": {}}
    order = tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]
    assert (order["status"], order["tracking_number"], order["carrier"]) == (
        "shipped",
        "1Z999AA10123456784",
        "UPS",
    )
    assert order["shipped_at"] is not None


def test_metadata_is_merged_and_note_set(tenant: Tenant) -> None:
    order_id = tenant.post(
        "/partner/v1/orders", json=order_body(metadata={"po_number": "PO-1", "keep": 1})
    ).json()["data"]["id"]
    response = tenant.patch(
        f"/partner/v1/orders/{order_id}",
        json={"note": "Updated by WMS", "metadata": {"shipped_by": "warehouse-A", "po_number": "PO-2"}},
    )
    assert response.status_code == 200
    order = tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]
    assert order["metadata"] == {"po_number": "PO-2", "keep": 1, "shipped_by": "warehouse-A"}
    assert order["note"] == "Updated by WMS"
    events = tenant.get(f"/partner/v1/orders/{order_id}/timeline").json()["data"]["events"]
    assert events[0]["type"] == "order_updated"
    assert events[0]["message"] == "Order updated: note, metadata"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (["shipped"], True),
        (["delivered"], False),
        (["hold"], True),
        (["cancelled"], True),
        (["shipped", "delivered"], True),
        (["shipped", "hold"], False),
        (["shipped", "cancelled"], False),
        (["hold", "shipped"], True),
        (["hold", "cancelled"], True),
        (["hold", "delivered"], False),
        (["cancelled", "shipped"], False),
        (["shipped", "delivered", "cancelled"], False),
    ],
)
def test_transition_table(tenant: Tenant, path: list[str], allowed: bool) -> None:
    order_id = _create(tenant)
    previous = "pending"
    for index, status in enumerate(path):
        response = tenant.patch(f"/partner/v1/orders/{order_id}", json={"status": status})
        if index < len(path) - 1:
            assert response.status_code == 200
            previous = status
            continue
        if allowed:
            assert response.status_code == 200
        else:
            assert response.status_code == 422
            assert response.json()["detail"] in (
                f"Cannot change status from {previous} to {status}",
                f"Cannot cancel an order that is already {previous}",
            )
    timeline = tenant.get(f"/partner/v1/orders/{order_id}/timeline").json()["data"]["events"]
    changes = [e["details"]["new_status"] for e in reversed(timeline) if e["type"] == "status_changed"]
    assert changes == (path if allowed else path[:-1])


def test_unknown_status_value_is_422(tenant: Tenant) -> None:
    order_id = _create(tenant)
    response = tenant.patch(f"/partner/v1/orders/{order_id}", json={"status": "teleported"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


@pytest.mark.parametrize("field", ["shipping_address", "line_items"])
def test_address_and_lines_are_immutable(tenant: Tenant, field: str) -> None:
    order_id = _create(tenant)
    before = tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]
    response = tenant.patch(f"/partner/v1/orders/{order_id}", json={field: {}, "note": "x"})
    assert response.status_code == 422
    assert response.json() == {"detail": f"{field} cannot be changed via the API after an order is created"}
    after = tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]
    assert after == before


def test_hold_via_patch_sets_is_held(tenant: Tenant) -> None:
    order_id = _create(tenant)
    tenant.patch(f"/partner/v1/orders/{order_id}", json={"status": "hold", "hold_reason": "Check address"})
    order = tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]
    assert (order["status"], order["is_held"], order["hold_reason"]) == ("hold", True, "Check address")


def test_empty_patch_is_422(tenant: Tenant) -> None:
    order_id = _create(tenant)
    assert tenant.patch(f"/partner/v1/orders/{order_id}", json={}).status_code == 422


def test_cancel_is_idempotent(tenant: Tenant) -> None:
    order_id = _create(tenant)
    first = tenant.post(
        f"/partner/v1/orders/{order_id}/cancel", json={"reason": "Customer requested cancellation"}
    )
    second = tenant.post(f"/partner/v1/orders/{order_id}/cancel", json={"reason": "again"})
    expected = {"data": {"id": order_id, "status": "cancelled", "cancelled": True}, "meta": {}}
    assert (first.status_code, first.json()) == (200, expected)
    assert (second.status_code, second.json()) == (200, expected)
    order = tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]
    assert order["cancel_reason"] == "Customer requested cancellation"
    events = tenant.get(f"/partner/v1/orders/{order_id}/timeline").json()["data"]["events"]
    assert [e["type"] for e in events] == ["cancelled", "status_changed", "received"]


def test_cancel_without_body(tenant: Tenant) -> None:
    order_id = _create(tenant)
    response = tenant.post(f"/partner/v1/orders/{order_id}/cancel")
    assert response.status_code == 200


@pytest.mark.parametrize("state", ["shipped", "delivered"])
def test_cannot_cancel_after_shipping(tenant: Tenant, state: str) -> None:
    order_id = _create(tenant)
    tenant.patch(f"/partner/v1/orders/{order_id}", json={"status": "shipped"})
    if state == "delivered":
        tenant.patch(f"/partner/v1/orders/{order_id}", json={"status": "delivered"})
    response = tenant.post(f"/partner/v1/orders/{order_id}/cancel", json={"reason": "late"})
    assert response.status_code == 422
    assert response.json() == {"detail": f"Cannot cancel an order that is already {state}"}
    assert tenant.get(f"/partner/v1/orders/{order_id}").json()["data"]["status"] == state
