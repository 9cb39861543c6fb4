"""POST/GET /orders/{id}/labels, and injection into the sandbox warehouse (Extensiv's label API)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Tenant, order_body
from tests.labels.conftest import Clock, Pipeline

DOC_LABEL = {
    "tracking_number": "1Z999AA10123456784",
    "carrier": "UPS",
    "service_level": "Ground",
    "label_url": "https://labels.example.com/label-12345.pdf",
    "label_format": "pdf",
    "weight": 12.5,
    "weight_unit": "oz",
    "cost": 8.45,
    "currency": "USD",
}


def _remote_labels(pipeline: Pipeline, external_id: str) -> list[dict[str, Any]]:
    orders = pipeline.sandbox.get("/_sandbox/orders").json()["orders"]
    [remote] = [
        o
        for o in orders
        if o["received"].get("referenceNum") and any(external_id in str(v) for v in o["received"].values())
    ]
    labels: list[dict[str, Any]] = remote["labels"]
    return labels


def test_label_attached_before_the_push_is_injected_after_it(open_pipeline: Pipeline) -> None:
    pipeline = open_pipeline
    tenant = pipeline.tenant
    order_id = pipeline.order("#1234")
    response = tenant.post(f"/partner/v1/orders/{order_id}/labels", json=DOC_LABEL)
    assert response.status_code == 201
    data = response.json()["data"]
    assert response.json() == {
        "data": {
            "label_id": data["label_id"],
            "order_id": order_id,
            "external_id": "#1234",
            "tracking_number": "1Z999AA10123456784",
            "carrier": "UPS",
            "passed_to_extensiv": False,
            "message": "Label attached — will be injected when order pushes to Extensiv",
        },
        "meta": {},
    }
    listed = tenant.get(f"/partner/v1/orders/{order_id}/labels").json()
    assert listed == {
        "data": [
            {
                "id": data["label_id"],
                "tracking_number": "1Z999AA10123456784",
                "carrier": "UPS",
                "service_level": "Ground",
                "label_url": "https://labels.example.com/label-12345.pdf",
                "passed_to_extensiv": False,
                "passed_to_extensiv_at": None,
            }
        ],
        "meta": {},
    }
    pipeline.run_jobs()  # evaluate, dispatch, then inject
    assert pipeline.get(order_id)["status"] == "processing"
    [label] = tenant.get(f"/partner/v1/orders/{order_id}/labels").json()["data"]
    assert label["passed_to_extensiv"] is True and label["passed_to_extensiv_at"] is not None
    assert _remote_labels(pipeline, order_id) == [
        {
            "labelId": data["label_id"],
            "trackingNumber": "1Z999AA10123456784",
            "carrier": "UPS",
            "labelUrl": "https://labels.example.com/label-12345.pdf",
            "labelFormat": "pdf",
        }
    ]
    types = pipeline.types(order_id)
    assert types.index("label_attached") < types.index("push_success") < types.index("label_injected")


def test_label_attached_after_the_push_is_injected_at_once(open_pipeline: Pipeline) -> None:
    pipeline = open_pipeline
    tenant = pipeline.tenant
    order_id = pipeline.order("AFTER-1")
    pipeline.run_jobs()
    assert pipeline.get(order_id)["status"] == "processing"
    # By external_id this time.
    response = tenant.post(
        "/partner/v1/orders/AFTER-1/labels",
        json={**DOC_LABEL, "tracking_number": "1ZAFTER", "label_format": "ZPL"},
    )
    assert response.status_code == 201
    assert (
        response.json()["data"]["message"]
        == "Label attached — the order is already at the warehouse; injecting now"
    )
    pipeline.run_jobs()
    [label] = tenant.get("/partner/v1/orders/AFTER-1/labels").json()["data"]
    assert (label["tracking_number"], label["passed_to_extensiv"]) == ("1ZAFTER", True)
    [remote] = _remote_labels(pipeline, order_id)
    assert (remote["trackingNumber"], remote["labelFormat"]) == ("1ZAFTER", "zpl")


def test_label_without_url_is_kept_but_not_injected(open_pipeline: Pipeline) -> None:
    pipeline = open_pipeline
    tenant = pipeline.tenant
    order_id = pipeline.order("NOURL-1")
    response = tenant.post(
        f"/partner/v1/orders/{order_id}/labels", json={"tracking_number": "1ZNOURL", "carrier": "UPS"}
    )
    assert (
        response.json()["data"]["message"]
        == "Label attached — it has no label_url, so there is nothing to inject"
    )
    pipeline.run_jobs()
    [label] = tenant.get(f"/partner/v1/orders/{order_id}/labels").json()["data"]
    assert (label["passed_to_extensiv"], label["label_url"], label["service_level"]) == (False, None, None)
    assert _remote_labels(pipeline, order_id) == []


def test_injection_retries_while_the_warehouse_is_down(open_pipeline: Pipeline, clock: Clock) -> None:
    pipeline, tenant = open_pipeline, open_pipeline.tenant
    order_id = pipeline.order("DOWN-1")
    pipeline.run_jobs()
    pipeline.sandbox.put("/_sandbox/faults", json={"status_5xx": True}).raise_for_status()
    tenant.post(f"/partner/v1/orders/{order_id}/labels", json={**DOC_LABEL, "tracking_number": "1ZDOWN"})
    pipeline.run_jobs()
    [label] = tenant.get(f"/partner/v1/orders/{order_id}/labels").json()["data"]
    assert label["passed_to_extensiv"] is False
    pipeline.sandbox.put("/_sandbox/faults", json={}).raise_for_status()
    clock.advance(3600)  # past the retry's backoff (the poll comes due too; the order stays open)
    pipeline.run_jobs()
    [label] = tenant.get(f"/partner/v1/orders/{order_id}/labels").json()["data"]
    assert label["passed_to_extensiv"] is True
    assert [r["trackingNumber"] for r in _remote_labels(pipeline, order_id)] == ["1ZDOWN"]


def test_errors_and_isolation(tenant: Tenant, other_tenant: Tenant) -> None:
    order_id = tenant.post("/partner/v1/orders", json=order_body("LBL-ERR")).json()["data"]["id"]
    url = f"/partner/v1/orders/{order_id}/labels"
    assert tenant.post(url, json=DOC_LABEL).status_code == 201
    duplicate = tenant.post(url, json=DOC_LABEL)
    assert (duplicate.status_code, duplicate.json()["detail"]) == (
        409,
        "A label with tracking_number 1Z999AA10123456784 is already attached to this order",
    )
    for body, field in [
        ({**DOC_LABEL, "label_url": "ftp://x"}, "label_url"),
        ({**DOC_LABEL, "label_format": "gif"}, "label_format"),
        ({**DOC_LABEL, "weight": -1}, "weight"),
        ({**DOC_LABEL, "cost": "1.00001"}, "cost"),
        ({**DOC_LABEL, "currency": "US"}, "currency"),
        ({**DOC_LABEL, "weight_unit": "stone"}, "weight_unit"),
        ({"carrier": "UPS"}, "tracking_number"),
        ({"tracking_number": "1Z"}, "carrier"),
        ({**DOC_LABEL, "colour": "red"}, "colour"),
    ]:
        response = tenant.post(url, json=body)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == [field], body
    assert other_tenant.post(url, json=DOC_LABEL).status_code == 404
    assert other_tenant.get(url).status_code == 404
    assert other_tenant.get("/partner/v1/orders/LBL-ERR/labels").status_code == 404
    missing = tenant.get("/partner/v1/orders/NOPE/labels")
    assert (missing.status_code, missing.json()["detail"]) == (404, "Order NOPE not found")
    tenant.post(f"/partner/v1/orders/{order_id}/cancel")
    closed = tenant.post(url, json={**DOC_LABEL, "tracking_number": "1ZLATE"})
    assert (closed.status_code, closed.json()["detail"]) == (
        422,
        "Cannot attach a label to an order that is cancelled",
    )
    assert len(tenant.get(url).json()["data"]) == 1
