"""Wire-level behaviour every endpoint shares: content types, malformed input, versions, OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Tenant, order_body


def test_version(tenant: Tenant) -> None:
    response = tenant.get("/partner/v1/version")
    assert response.json() == {
        "data": {
            "version": "2026-02-27",
            "stable": True,
            "channel": "v1",
            "note": "v1 is the current stable channel. Breaking changes will be announced and versioned.",
        },
        "meta": {},
    }
    assert response.headers["X-WarpWare-API-Version"] == "2026-02-27"


def test_post_without_json_content_type_is_415(tenant: Tenant) -> None:
    response = tenant.post(
        "/partner/v1/orders", content=b'{"external_id": "x"}', headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json() == {
        "detail": "Content-Type must be application/json for POST, PATCH and PUT requests with a body"
    }
    assert response.headers["X-WarpWare-API-Version"] == "2026-02-27"
    missing = tenant.client.post(
        "/partner/v1/orders",
        content=b'{"a":1}',
        headers={"Authorization": f"Bearer {tenant.key}", "Content-Type": ""},
    )
    assert missing.status_code == 415


def test_json_with_charset_is_accepted(tenant: Tenant) -> None:
    import json

    response = tenant.post(
        "/partner/v1/orders",
        content=json.dumps(order_body()).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


def test_malformed_json_is_400(tenant: Tenant) -> None:
    response = tenant.post(
        "/partner/v1/orders", content=b'{"external_id": ', headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (400, {"detail": "Malformed JSON in request body"})
    patch = tenant.patch(
        "/partner/v1/orders/abc", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert patch.status_code == 400


def test_schema_failure_is_422_with_fields(tenant: Tenant) -> None:
    body = order_body()
    del body["shipping_address"]["city"]
    body["line_items"][0]["quantity"] = 0
    response = tenant.post("/partner/v1/orders", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["detail"].startswith("Validation failed: ")
    assert {e["field"] for e in payload["errors"]} == {"shipping_address.city", "line_items.0.quantity"}


def test_unknown_fields_are_named(tenant: Tenant) -> None:
    response = tenant.post("/partner/v1/orders", json=order_body(colour="red"))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "colour", "message": "Extra inputs are not permitted"}]


def test_unknown_route_is_404_json(tenant: Tenant) -> None:
    response = tenant.get("/partner/v1/nothing-here")
    assert (response.status_code, response.json()) == (404, {"detail": "No such endpoint"})


def test_openapi_lists_every_orders_endpoint(client: TestClient) -> None:
    spec = client.get("/partner/v1/openapi.json").json()
    paths = spec["paths"]
    assert {
        "/partner/v1/orders",
        "/partner/v1/orders/bulk",
        "/partner/v1/orders/stats",
        "/partner/v1/orders/{order_id}",
        "/partner/v1/orders/by-external/{external_id}",
        "/partner/v1/orders/{order_id}/cancel",
        "/partner/v1/orders/{order_id}/timeline",
        "/partner/v1/version",
    } <= set(paths)
    assert set(paths["/partner/v1/orders/{order_id}"]) == {"get", "patch"}
    create = paths["/partner/v1/orders"]["post"]
    assert "201" in create["responses"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema_ref.endswith("/OrderCreate")
    required = spec["components"]["schemas"]["OrderCreate"]["required"]
    assert set(required) == {"external_id", "line_items", "shipping_address"}
    patch_schema = paths["/partner/v1/orders/{order_id}"]["patch"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert set(patch_schema["properties"]) >= {"tracking_number", "carrier", "status", "note", "metadata"}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "external_id",
                "line_items",
                "shipping_address",
                "tags",
                "metadata",
                "source",
                "customer_email",
                "note",
            ]
        ),
        json_values,
    )
)
def test_arbitrary_bodies_never_500(tenant: Tenant, body: dict[str, object]) -> None:
    for url in ("/partner/v1/orders", "/partner/v1/orders/bulk"):
        response = tenant.post(url, json=body if url.endswith("orders") else {"orders": [body]})
        assert response.status_code in (201, 207, 400, 409, 422), response.text
        assert "detail" in response.json() or "data" in response.json()


def test_nul_characters_are_refused(tenant: Tenant) -> None:
    response = tenant.post("/partner/v1/orders", json=order_body(metadata={"a": "x\u0000y"}))
    assert response.status_code == 422
    assert "NUL" in response.json()["detail"]


def test_text_that_only_spells_a_nul_escape_is_kept_and_big_integers_are_checked(tenant: Tenant) -> None:
    spelled = order_body(note="C:\\u0000 is a path, not a NUL", metadata={"n": 2**60})
    created = tenant.post("/partner/v1/orders", json=spelled)
    too_big = tenant.post("/partner/v1/orders", json=order_body(metadata={"n": 2**63}))
    nul_in_a_line = order_body()
    nul_in_a_line["line_items"][0]["name"] = "Mug\u0000"

    assert created.status_code == 201, created.text
    stored = tenant.get(f"/partner/v1/orders/{created.json()['data']['id']}").json()["data"]
    assert (stored["note"], stored["metadata"]) == (
        "C:\\u0000 is a path, not a NUL",
        {"n": 2**60},
    )
    assert (too_big.status_code, too_big.json()["detail"]) == (
        422,
        "Validation failed: body: Value error, integers must fit in 64 bits",
    )
    assert tenant.post("/partner/v1/orders", json=nul_in_a_line).status_code == 422


def test_nul_in_url_is_400(tenant: Tenant) -> None:
    for url in ("/partner/v1/orders?external_id=%00", "/partner/v1/orders/by-external/a%00b"):
        response = tenant.get(url)
        assert (response.status_code, response.json()) == (
            400,
            {"detail": "NUL characters are not allowed in URLs"},
        )
