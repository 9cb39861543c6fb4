"""GET/POST /preorder-rules and release: the documented objects, validation, limits and isolation."""

from __future__ import annotations

import datetime as dt

from tests.conftest import Tenant

RULE = {
    "sku": "NEW-PREORDER-SKU",
    "name": "Upcoming Product Launch",
    "hold_mode": "split",
    "release_date": "2030-05-01",
}


def _create(tenant: Tenant, **overrides: object) -> dict[str, object]:
    response = tenant.post("/partner/v1/preorder-rules", json={**RULE, **overrides})
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()["data"]
    return data


def test_create_returns_documented_object(tenant: Tenant) -> None:
    response = tenant.post("/partner/v1/preorder-rules", json=RULE)
    assert response.status_code == 201
    body = response.json()
    data = body["data"]
    assert body["meta"] == {}
    assert data == {
        "id": data["id"],
        "sku": "NEW-PREORDER-SKU",
        "name": "Upcoming Product Launch",
        "status": "holding",
        "hold_mode": "split",
        "release_date": "2030-05-01",
        "orders_held_count": 0,
        "orders_released_count": 0,
        "created_at": data["created_at"],
        "released_at": None,
    }
    assert tenant.get(f"/partner/v1/preorder-rules/{data['id']}").json()["data"] == data


def test_defaults_hold_entire_no_date_name_is_sku(tenant: Tenant) -> None:
    data = tenant.post("/partner/v1/preorder-rules", json={"sku": "DWP2-PPCN85HC"}).json()["data"]
    assert (data["name"], data["hold_mode"], data["release_date"], data["status"]) == (
        "DWP2-PPCN85HC",
        "hold_entire",
        None,
        "holding",
    )


def test_validation_errors_are_422(tenant: Tenant) -> None:
    cases = [
        ({"name": "no sku"}, "sku"),
        ({"sku": ""}, "sku"),
        ({"sku": "A", "hold_mode": "later"}, "hold_mode"),
        ({"sku": "A", "release_date": "05/01/2030"}, "release_date"),
        ({"sku": "A", "release_date": 1893456000}, "release_date"),
        ({"sku": "A", "release_date": "2030-02-30"}, "release_date"),
        ({"sku": "A", "colour": "red"}, "colour"),
        ({"sku": "A" * 121}, "sku"),
    ]
    for body, field in cases:
        response = tenant.post("/partner/v1/preorder-rules", json=body)
        assert response.status_code == 422, (body, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], body
    past = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    response = tenant.post("/partner/v1/preorder-rules", json={"sku": "A", "release_date": past})
    assert (response.status_code, response.json()["detail"]) == (422, f"release_date {past} is in the past")
    assert (
        tenant.post(
            "/partner/v1/preorder-rules", content=b"{", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_one_holding_rule_per_sku(tenant: Tenant) -> None:
    first = _create(tenant)
    response = tenant.post("/partner/v1/preorder-rules", json={**RULE, "sku": "new-preorder-sku"})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "SKU new-preorder-sku already has a holding pre-order rule",
        "existing_rule_id": first["id"],
    }
    released = tenant.post(f"/partner/v1/preorder-rules/{first['id']}/release")
    assert released.status_code == 200
    assert _create(tenant)["status"] == "holding"  # a released SKU can go on pre-order again


def test_release_without_orders_and_again(tenant: Tenant) -> None:
    rule = _create(tenant)
    response = tenant.post(f"/partner/v1/preorder-rules/{rule['id']}/release")
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "rule_id": rule["id"],
            "sku": "NEW-PREORDER-SKU",
            "status": "released",
            "orders_released": 0,
        },
        "meta": {},
    }
    again = tenant.post(f"/partner/v1/preorder-rules/{rule['id']}/release")
    assert (again.status_code, again.json()["data"]["orders_released"]) == (200, 0)
    data = tenant.get(f"/partner/v1/preorder-rules/{rule['id']}").json()["data"]
    assert data["status"] == "released" and data["released_at"] is not None


def test_list_newest_first_with_filters_and_both_pagination_modes(tenant: Tenant) -> None:
    ids = [_create(tenant, sku=f"SKU-{i}", release_date=None)["id"] for i in range(3)]
    tenant.post(f"/partner/v1/preorder-rules/{ids[0]}/release")
    body = tenant.get("/partner/v1/preorder-rules").json()
    assert [r["id"] for r in body["data"]] == ids[::-1]
    assert body["meta"] == {"page": 1, "per_page": 50, "total": 3, "total_pages": 1}
    holding = tenant.get("/partner/v1/preorder-rules?status=holding").json()
    assert [r["id"] for r in holding["data"]] == [ids[2], ids[1]]
    assert [r["id"] for r in tenant.get("/partner/v1/preorder-rules?sku=sku-1").json()["data"]] == [ids[1]]
    page = tenant.get("/partner/v1/preorder-rules?per_page=2&page=2").json()
    assert ([r["id"] for r in page["data"]], page["meta"]["total_pages"]) == ([ids[0]], 2)
    first = tenant.get("/partner/v1/preorder-rules?per_page=2&after=").json()
    assert [r["id"] for r in first["data"]] == [ids[2], ids[1]]
    assert first["meta"]["has_more"] is True and first["meta"]["cursor_mode"] is True
    rest = tenant.get(f"/partner/v1/preorder-rules?per_page=2&after={first['meta']['next_cursor']}").json()
    assert ([r["id"] for r in rest["data"]], rest["meta"]["has_more"], rest["meta"]["next_cursor"]) == (
        [ids[0]],
        False,
        None,
    )
    assert tenant.get("/partner/v1/preorder-rules?status=paused").status_code == 400
    assert tenant.get("/partner/v1/preorder-rules?per_page=101").status_code == 400
    assert tenant.get("/partner/v1/preorder-rules?after=nonsense").status_code == 400


def test_other_accounts_rules_are_invisible(tenant: Tenant, other_tenant: Tenant) -> None:
    rule = _create(tenant)
    assert other_tenant.get("/partner/v1/preorder-rules").json()["data"] == []
    for response in (
        other_tenant.get(f"/partner/v1/preorder-rules/{rule['id']}"),
        other_tenant.post(f"/partner/v1/preorder-rules/{rule['id']}/release"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": f"Pre-order rule {rule['id']} not found"}
    assert (
        other_tenant.post("/partner/v1/preorder-rules", json=RULE).status_code == 201
    )  # same SKU, own account
    assert tenant.get(f"/partner/v1/preorder-rules/{rule['id']}").json()["data"]["status"] == "holding"


def test_scopes(db: object, client: object) -> None:
    from tests.conftest import new_key

    _account, key, _ = new_key(db, scopes="read")  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/partner/v1/preorder-rules", headers=headers).status_code == 200  # type: ignore[attr-defined]
    assert (
        client.post(
            "/partner/v1/preorder-rules",
            json=RULE,  # type: ignore[attr-defined]
            headers=headers,
        ).status_code
        == 403
    )
    assert client.get("/partner/v1/preorder-rules").status_code == 401  # type: ignore[attr-defined]
