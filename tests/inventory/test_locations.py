"""GET /locations and GET /inventory/locations: discovered from connections, named via the API."""

from __future__ import annotations

from tests.conftest import Tenant
from tests.inventory.conftest import put_product, set_level

SHOPIFY = {
    "name": "Best Way Distribution",
    "type": "shopify",
    "settings": {"shop_domain": "best-way.myshopify.com"},
    "credentials": {"access_token": "shpat_x", "webhook_secret": "s"},
}
EXTENSIV = {
    "name": "Extensiv Kansas",
    "type": "extensiv",
    "settings": {"customer_id": 1, "facility_id": 6},
    "credentials": {"client_id": "id", "client_secret": "secret"},
}


def _connect(tenant: Tenant, body: dict[str, object]) -> str:
    response = tenant.post("/partner/v1/connections", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def test_locations_of_connections_and_api_warehouses(tenant: Tenant) -> None:
    extensiv = _connect(tenant, {**EXTENSIV, "is_default": True})
    _connect(tenant, SHOPIFY)
    set_level(tenant, "3041-80", 150, "Extensiv Kansas")
    set_level(tenant, "3041-81", 1, "6")  # the Extensiv facility id names the same location
    set_level(tenant, "3041-80", 9, "Overflow Yard")  # an unknown name: a custom (API) location
    response = tenant.get("/partner/v1/locations")
    assert response.status_code == 200
    body = response.json()
    by_name = {loc["name"]: loc for loc in body["data"]}
    assert [loc["name"] for loc in body["data"]] == [
        "Overflow Yard",
        "Best Way Distribution",
        "Extensiv Kansas",
    ]
    assert by_name["Extensiv Kansas"] == {
        "id": by_name["Extensiv Kansas"]["id"],
        "name": "Extensiv Kansas",
        "platform": "extensiv",
        "platform_location_id": "6",
        "address1": None,
        "city": None,
        "state": None,
        "country": None,
        "active": True,
        "is_primary": True,
        "sku_count": 2,
    }
    assert by_name["Best Way Distribution"]["platform"] == "shopify"
    assert (
        by_name["Best Way Distribution"]["sku_count"],
        by_name["Best Way Distribution"]["is_primary"],
    ) == (0, False)
    assert (by_name["Overflow Yard"]["platform"], by_name["Overflow Yard"]["sku_count"]) == ("api", 1)
    assert body["meta"] == {"page": 1, "per_page": 50, "total": 3, "total_pages": 1}
    assert [loc["name"] for loc in tenant.get("/partner/v1/locations?platform=shopify").json()["data"]] == [
        "Best Way Distribution"
    ]
    assert tenant.get("/partner/v1/locations?platform=acumatica").json()["data"] == []
    # A connection's id names its location too, and a deleted connection leaves an inactive location.
    assert set_level(tenant, "3041-82", 2, extensiv)["warehouse"] == "Extensiv Kansas"
    tenant.delete(f"/partner/v1/connections/{extensiv}")
    gone = {loc["name"]: loc for loc in tenant.get("/partner/v1/locations").json()["data"]}["Extensiv Kansas"]
    assert (gone["active"], gone["is_primary"], gone["sku_count"]) == (False, False, 3)


def test_location_pagination(tenant: Tenant) -> None:
    for name in ("A", "B", "C"):
        set_level(tenant, "SKU-1", 1, name)
    first = tenant.get("/partner/v1/locations?per_page=2&after=").json()
    assert [loc["name"] for loc in first["data"]] == ["C", "B"]
    assert first["meta"]["has_more"] is True
    rest = tenant.get(f"/partner/v1/locations?per_page=2&after={first['meta']['next_cursor']}").json()
    assert [loc["name"] for loc in rest["data"]] == ["A"]
    assert rest["meta"] == {"per_page": 2, "next_cursor": None, "has_more": False, "cursor_mode": True}
    assert tenant.get("/partner/v1/locations?per_page=2&page=2").json()["meta"] == {
        "page": 2,
        "per_page": 2,
        "total": 3,
        "total_pages": 2,
    }
    assert tenant.get("/partner/v1/locations?per_page=500").status_code == 400


def test_documented_inventory_by_location(tenant: Tenant) -> None:
    _connect(tenant, EXTENSIV)
    put_product(tenant, "3041-80", name="Specimen Cup")
    set_level(tenant, "3041-80", 150, "Extensiv Kansas")
    set_level(tenant, "OTHER", 1, "Elsewhere")
    response = tenant.get("/partner/v1/inventory/locations?sku=3041-80")
    assert response.status_code == 200
    [row] = response.json()["data"]
    assert row == {
        "sku": "3041-80",
        "name": "Specimen Cup",
        "source_platform": "extensiv",
        "inventory_quantity": 150,
        "quantity_available": 150,
        "quantity_on_hand": 150,
        "quantity_committed": 0,
        "shopify_location_id": None,
        "location_id": row["location_id"],
    }
    by_location = tenant.get(f"/partner/v1/inventory/locations?location_id={row['location_id']}").json()
    assert [r["sku"] for r in by_location["data"]] == ["3041-80"]
    assert by_location["meta"] == {"page": 1, "per_page": 50, "total": 1, "total_pages": 1}
    bad = tenant.get("/partner/v1/inventory/locations?location_id=not-a-uuid")
    assert (bad.status_code, bad.json()["detail"]) == (
        400,
        "location_id must be a location's UUID (got 'not-a-uuid')",
    )


def test_locations_are_per_account(tenant: Tenant, other_tenant: Tenant) -> None:
    _connect(tenant, EXTENSIV)
    set_level(tenant, "X-1", 3, "Extensiv Kansas")
    assert other_tenant.get("/partner/v1/locations").json()["data"] == []
    assert other_tenant.get("/partner/v1/inventory/locations").json()["data"] == []
    location_id = tenant.get("/partner/v1/locations").json()["data"][0]["id"]
    assert other_tenant.get(f"/partner/v1/inventory/locations?location_id={location_id}").json()["data"] == []
    refused = other_tenant.post(
        "/partner/v1/inventory/adjust", json={"sku": "X-1", "adjustment": 1, "warehouse": location_id}
    )
    assert (refused.status_code, refused.json()["detail"]) == (404, f"Warehouse {location_id} not found")
