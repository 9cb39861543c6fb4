"""GET /products and PUT /products/{sku}: the documented object, filters, pagination, limits, isolation."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Tenant, new_key, order_body
from tests.inventory.conftest import put_product, set_level
from warpware.db import Database

DOC_PRODUCT = {
    "name": "Red Widget Large",
    "description": "Our flagship red widget in large",
    "price": 29.99,
    "platform": "shopify",
}


def _put(tenant: Tenant, sku: str, body: dict[str, object]) -> object:
    return tenant.client.put(
        f"/partner/v1/products/{sku}", json=body, headers={"Authorization": f"Bearer {tenant.key}"}
    )


def test_documented_example(tenant: Tenant) -> None:
    created = _put(tenant, "WIDGET-RED-LG", DOC_PRODUCT)
    assert created.status_code == 201  # type: ignore[attr-defined]
    product = created.json()["data"]  # type: ignore[attr-defined]
    assert product == {
        "id": product["id"],
        "sku": "WIDGET-RED-LG",
        "name": "Red Widget Large",
        "description": "Our flagship red widget in large",
        "price": 29.99,
        "inventory_count": 0,
        "platform": "shopify",
        "created_at": product["created_at"],
        "updated_at": product["created_at"],
        "low_stock_threshold": None,
    }
    set_level(tenant, "WIDGET-RED-LG", 100, "East Coast DC")
    set_level(tenant, "WIDGET-RED-LG", 42, "West Coast DC")
    response = tenant.get("/partner/v1/products?search=widget")
    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {"page": 1, "per_page": 50, "total": 1, "total_pages": 1}
    [listed] = body["data"]
    assert listed == {**product, "inventory_count": 142}
    assert tenant.get("/partner/v1/products/WIDGET-RED-LG").json()["data"] == listed


def test_put_updates_only_the_fields_sent(tenant: Tenant) -> None:
    first = put_product(tenant, "MUG-1", name="Mug", description="Blue", price=5, low_stock_threshold=3)
    response = _put(tenant, "MUG-1", {"price": "6.5", "description": None})
    assert response.status_code == 200  # type: ignore[attr-defined]
    updated = response.json()["data"]  # type: ignore[attr-defined]
    assert updated == {**first, "price": 6.5, "description": None, "updated_at": updated["updated_at"]}
    assert updated["updated_at"] >= first["updated_at"]
    # Without a name a new product is named after its SKU, and made by the API.
    bare = put_product(tenant, "BARE-1")
    assert (bare["name"], bare["platform"], bare["price"], bare["description"]) == (
        "BARE-1",
        "api",
        None,
        None,
    )


def test_sku_in_path_may_hold_a_slash(tenant: Tenant) -> None:
    put_product(tenant, "BOX/10", name="Box of ten")
    assert tenant.get("/partner/v1/products/BOX/10").json()["data"]["name"] == "Box of ten"
    assert [p["sku"] for p in tenant.get("/partner/v1/products?sku=BOX/10").json()["data"]] == ["BOX/10"]


def test_filters(tenant: Tenant) -> None:
    put_product(tenant, "A-1", name="Red Widget")
    put_product(tenant, "B-2", name="Blue Gadget")
    put_product(tenant, "C_3", name="100% Cotton Shirt")

    def skus(query: str) -> list[str]:
        response = tenant.get(f"/partner/v1/products?{query}")
        assert response.status_code == 200, response.text
        return [p["sku"] for p in response.json()["data"]]

    assert skus("") == ["C_3", "B-2", "A-1"]  # newest first
    assert skus("sku=B-2") == ["B-2"]
    assert skus("sku=b-2") == []  # exact
    assert skus("search=WIDGET") == ["A-1"]
    assert skus("search=gad") == ["B-2"]
    assert skus("search=100%25") == ["C_3"]  # LIKE wildcards are literal
    assert skus("search=_") == ["C_3"]
    assert skus("search=a-") == ["A-1"]  # the SKU is searched too
    assert skus("updated_since=2000-01-01") == ["C_3", "B-2", "A-1"]
    assert skus("updated_since=2999-01-01T00:00:00Z") == []
    bad = tenant.get("/partner/v1/products?updated_since=yesterday")
    assert bad.status_code == 400 and bad.json()["detail"].startswith("updated_since must be an ISO 8601")


def test_page_and_cursor_modes(tenant: Tenant) -> None:
    for i in range(7):
        put_product(tenant, f"P-{i}")
    body = tenant.get("/partner/v1/products?page=2&per_page=3").json()
    assert [p["sku"] for p in body["data"]] == ["P-3", "P-2", "P-1"]
    assert body["meta"] == {"page": 2, "per_page": 3, "total": 7, "total_pages": 3}
    seen: list[str] = []
    page = tenant.get("/partner/v1/products?after=&per_page=3").json()
    while True:
        assert page["meta"]["cursor_mode"] is True and "total" not in page["meta"]
        seen += [p["sku"] for p in page["data"]]
        if not page["meta"]["has_more"]:
            assert page["meta"]["next_cursor"] is None
            break
        page = tenant.get(f"/partner/v1/products?after={page['meta']['next_cursor']}&per_page=3").json()
    assert seen == [f"P-{i}" for i in reversed(range(7))]
    for query, detail in [
        ("per_page=101", "per_page must be between 1 and 100 (got 101)"),
        ("page=0", "page must be 1 or more (got 0)"),
        ("after=nonsense", "Malformed cursor: pass the next_cursor value from a previous response"),
        ("page=1&after=", "page and after cannot be combined: use after= for cursor mode or page= for pages"),
    ]:
        response = tenant.get(f"/partner/v1/products?{query}")
        assert (response.status_code, response.json()["detail"]) == (400, detail)


def test_validation(tenant: Tenant) -> None:
    for body, field in [
        ({"price": "1.23456"}, "price"),
        ({"price": -1}, "price"),
        ({"platform": "Not Valid"}, "platform"),
        ({"name": ""}, "name"),
        ({"colour": "red"}, "colour"),
        ({"low_stock_threshold": -1}, "low_stock_threshold"),
    ]:
        response = _put(tenant, "V-1", body)
        assert response.status_code == 422, body  # type: ignore[attr-defined]
        assert [e["field"] for e in response.json()["errors"]] == [field]  # type: ignore[attr-defined]
    too_long = _put(tenant, "X" * 121, {})
    assert too_long.status_code == 400  # type: ignore[attr-defined]
    not_json = tenant.client.put(
        "/partner/v1/products/V-1",
        content=b"name=x",
        headers={
            "Authorization": f"Bearer {tenant.key}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert not_json.status_code == 415
    assert tenant.get("/partner/v1/products/NOPE").status_code == 404


def test_tenant_and_sub_client_isolation(
    db: Database, client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    put_product(tenant, "MINE-1", name="Mine")
    assert other_tenant.get("/partner/v1/products/MINE-1").status_code == 404
    assert other_tenant.get("/partner/v1/products").json()["data"] == []
    # Another sub-client of the same account has its own catalog; an account-wide key sees both.
    _, west_key, west_id = new_key(db, account=tenant.account, sub_client="warehouse-west")
    west = Tenant(tenant.account, "warehouse-west", west_key, west_id, client)
    assert west.get("/partner/v1/products/MINE-1").status_code == 404
    put_product(west, "MINE-1", name="West's own")
    _, admin_key, admin_id = new_key(db, account=tenant.account, sub_client=None)
    admin = Tenant(tenant.account, None, admin_key, admin_id, client)
    assert sorted(p["name"] for p in admin.get("/partner/v1/products?sku=MINE-1").json()["data"]) == [
        "Mine",
        "West's own",
    ]
    assert tenant.get("/partner/v1/products/MINE-1").json()["data"]["name"] == "Mine"


def test_scopes(db: Database, client: TestClient, tenant: Tenant) -> None:
    _, key, key_id = new_key(db, account=tenant.account, scopes="read")
    reader = Tenant(tenant.account, "warehouse-east", key, key_id, client)
    response = _put(reader, "R-1", {})
    assert (response.status_code, response.json()["detail"]) == (  # type: ignore[attr-defined]
        403,
        "This API key lacks the write scope",
    )
    assert reader.get("/partner/v1/products").status_code == 200
    assert client.get("/partner/v1/products").status_code == 401


def test_unknown_order_skus_become_master_products(tenant: Tenant, run_jobs: Callable[[], int]) -> None:
    put_product(tenant, "KNOWN-1", name="Known", price=1)
    body = order_body(
        "DISC-1",
        line_items=[
            {"sku": "KNOWN-1", "quantity": 1, "price": 9, "name": "Renamed on the order"},
            {"sku": "NEW-1", "quantity": 2, "price": 4.5, "name": "New thing"},
            {"sku": "NEW-2", "quantity": 1},
        ],
    )
    assert tenant.post("/partner/v1/orders", json=body).status_code == 201
    run_jobs()
    products = {p["sku"]: p for p in tenant.get("/partner/v1/products").json()["data"]}
    assert set(products) == {"KNOWN-1", "NEW-1", "NEW-2"}
    assert (products["KNOWN-1"]["name"], products["KNOWN-1"]["price"]) == ("Known", 1)  # never changed
    assert (products["NEW-1"]["name"], products["NEW-1"]["price"], products["NEW-1"]["platform"]) == (
        "New thing",
        4.5,
        "api",
    )
    assert (products["NEW-2"]["name"], products["NEW-2"]["price"]) == ("NEW-2", None)
