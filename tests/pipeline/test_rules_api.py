"""/partner/v1/rules and /partner/v1/connections: validation, isolation, YAML, dry run."""

from __future__ import annotations

from tests.conftest import Tenant, order_body
from tests.pipeline.test_pipeline_api import HOLD_OVER_50

YAML_RULES = """
rules:
  - name: Norway is not false
    stage: territory
    conditions: {all: [{field: country, op: eq, value: NO}]}
    actions: [{type: block, reason: No shipping to Norway}]
  - name: Rush tag
    stage: automation
    conditions: {all: [{field: tags, op: contains, value: rush}]}
    actions: [{type: set_service_level, service_level: Express}]
"""


def test_rule_crud(tenant: Tenant, other_tenant: Tenant) -> None:
    created = tenant.post("/partner/v1/rules", json=HOLD_OVER_50)
    assert created.status_code == 201
    rule = created.json()["data"]
    assert {k: rule[k] for k in ("name", "stage", "priority", "enabled", "stop_on_match")} == {
        "name": "High value",
        "stage": "hold",
        "priority": 10,
        "enabled": True,
        "stop_on_match": False,
    }
    updated = tenant.patch(f"/partner/v1/rules/{rule['id']}", json={"enabled": False, "priority": 5})
    assert (updated.json()["data"]["enabled"], updated.json()["data"]["priority"]) == (False, 5)
    assert [r["id"] for r in tenant.get("/partner/v1/rules").json()["data"]] == [rule["id"]]
    assert other_tenant.get(f"/partner/v1/rules/{rule['id']}").status_code == 404
    assert other_tenant.patch(f"/partner/v1/rules/{rule['id']}", json={"enabled": True}).status_code == 404
    assert other_tenant.get("/partner/v1/rules").json()["data"] == []
    assert tenant.delete(f"/partner/v1/rules/{rule['id']}").status_code == 200
    assert tenant.get(f"/partner/v1/rules/{rule['id']}").status_code == 404


def test_invalid_rule_names_the_field_and_is_not_stored(tenant: Tenant) -> None:
    bad = {**HOLD_OVER_50, "conditions": {"all": [{"field": "order_value", "op": "greater", "value": 5}]}}
    response = tenant.post("/partner/v1/rules", json=bad)
    assert response.status_code == 422
    assert response.json()["detail"] == "Invalid rule: conditions.all[0].op: unknown operator 'greater'"
    assert response.json()["errors"] == [
        {"field": "conditions.all[0].op", "message": "unknown operator 'greater'"}
    ]
    wrong_stage = {"name": "x", "stage": "automation", "actions": [{"type": "route", "connection_id": "c"}]}
    detail = tenant.post("/partner/v1/rules", json=wrong_stage).json()["detail"]
    assert "actions[0].type" in detail and "not allowed in the automation stage" in detail
    assert tenant.get("/partner/v1/rules").json()["data"] == []
    good = tenant.post("/partner/v1/rules", json=HOLD_OVER_50).json()["data"]
    patched = tenant.patch(f"/partner/v1/rules/{good['id']}", json={"actions": [{"type": "teleport"}]})
    assert patched.status_code == 422
    assert tenant.get(f"/partner/v1/rules/{good['id']}").json()["data"]["actions"] == HOLD_OVER_50["actions"]


def test_yaml_import_all_or_nothing(tenant: Tenant) -> None:
    response = tenant.post("/partner/v1/rules/import", json={"yaml": YAML_RULES})
    assert response.status_code == 201
    rules = response.json()["data"]
    assert [r["name"] for r in rules] == ["Norway is not false", "Rush tag"]
    assert rules[0]["conditions"]["all"][0]["value"] == "NO"
    broken = YAML_RULES + "  - name: Broken\n    stage: nowhere\n    actions: []\n"
    bad = tenant.post("/partner/v1/rules/import", json={"yaml": broken})
    assert bad.status_code == 422
    assert "rules[2].stage" in bad.json()["detail"]
    assert len(tenant.get("/partner/v1/rules").json()["data"]) == 2


def test_dry_run_stores_nothing(tenant: Tenant) -> None:
    tenant.post("/partner/v1/rules", json=HOLD_OVER_50)
    before = tenant.get("/partner/v1/orders/stats").json()["data"]["total"]
    response = tenant.post("/partner/v1/rules/dry-run", json={"order": order_body("DRY-1")})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["outcome"] == "held"
    assert data["hold"]["reason"] == "Order over $50" and data["hold"]["rule"] == "High value"
    assert data["matches"][0]["rule_name"] == "High value"
    assert "Rule 'High value' matched: hold (Order over $50)" in data["messages"]
    assert response.json()["meta"] == {"stored": False}
    adhoc = tenant.post(
        "/partner/v1/rules/dry-run",
        json={
            "order": order_body("DRY-2", tags=["rush"]),
            "rules": [
                {
                    "name": "Rush",
                    "stage": "automation",
                    "conditions": {"all": [{"field": "tags", "op": "contains", "value": "rush"}]},
                    "actions": [{"type": "set_service_level", "service_level": "Express"}],
                }
            ],
        },
    ).json()["data"]
    assert (adhoc["outcome"], adhoc["service_level"]) == ("unrouted", "Express")
    assert tenant.get("/partner/v1/orders/stats").json()["data"]["total"] == before
    assert tenant.post("/partner/v1/rules/dry-run", json={"order": {"external_id": "x"}}).status_code == 422


def test_connections_validation_and_isolation(tenant: Tenant, other_tenant: Tenant) -> None:
    bad = tenant.post(
        "/partner/v1/connections",
        json={"name": "X", "type": "extensiv", "settings": {"customer_id": "abc"}, "credentials": {}},
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"settings.customer_id", "settings.facility_id"} <= fields
    unknown = tenant.post("/partner/v1/connections", json={"name": "X", "type": "carrier-pigeon"})
    assert unknown.status_code == 422 and "unknown connection type" in unknown.json()["detail"]
    created = tenant.post(
        "/partner/v1/connections",
        json={
            "name": "3PL East",
            "type": "extensiv",
            "settings": {"customer_id": 5, "facility_id": 2},
            "credentials": {"client_id": "id", "client_secret": "very-secret"},
        },
    ).json()["data"]
    assert "credentials" not in created and "very-secret" not in str(created)
    listed = tenant.get("/partner/v1/connections").json()["data"]
    assert [c["id"] for c in listed] == [created["id"]] and "very-secret" not in str(listed)
    assert other_tenant.get(f"/partner/v1/connections/{created['id']}").status_code == 404
    assert other_tenant.delete(f"/partner/v1/connections/{created['id']}").status_code == 404
    patched = tenant.patch(
        f"/partner/v1/connections/{created['id']}", json={"settings": {"customer_id": 7, "facility_id": 2}}
    )
    assert patched.json()["data"]["settings"]["customer_id"] == 7
    assert tenant.delete(f"/partner/v1/connections/{created['id']}").status_code == 200
    assert tenant.get("/partner/v1/connections").json()["data"] == []


def test_connection_test_calls_the_remote(tenant: Tenant, sandbox_server: object, sandbox: object) -> None:
    good = tenant.post(
        "/partner/v1/connections",
        json={"name": "S", "type": "sandbox", "settings": {"base_url": sandbox_server.url}},
    ).json()["data"]  # type: ignore[attr-defined]
    result = tenant.post(f"/partner/v1/connections/{good['id']}/test").json()["data"]
    assert result == {"ok": True, "message": "Connection works"}
    dead = tenant.post(
        "/partner/v1/connections",
        json={"name": "Dead", "type": "sandbox", "settings": {"base_url": "http://127.0.0.1:9"}},
    ).json()["data"]
    failed = tenant.post(f"/partner/v1/connections/{dead['id']}/test").json()["data"]
    assert failed["ok"] is False and failed["error_category"] == "network_timeout"
    assert tenant.get(f"/partner/v1/connections/{dead['id']}").json()["data"]["last_error"]
