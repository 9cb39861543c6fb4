"""The sandbox warehouse over real HTTP: Extensiv's shapes, shipping, and the admin API."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import httpx
import pytest

from warpware.sandbox import SandboxConfig, SandboxFaults, SandboxServer

ORDER_REL = "http://api.3plCentral.com/rels/orders/order"


def basic(client_id: str = "ww-client", secret: str = "ww-secret") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def bearer(sandbox: httpx.Client) -> dict[str, str]:
    response = sandbox.post(
        "/AuthServer/api/Token",
        headers=basic(),
        json={"grant_type": "client_credentials", "user_login_id": "ww"},
    )
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def order_body(
    reference: str, *, sku: str = "WW-MUG", carrier: str | None = "UPS", mode: str | None = None
) -> dict[str, Any]:
    return {
        "customerIdentifier": {"id": 17},
        "facilityIdentifier": {"id": 3},
        "referenceNum": reference,
        "routingInfo": {"carrier": carrier, "mode": mode},
        "shipTo": {
            "name": "Ada Lovelace",
            "address1": "12 Analytical Way",
            "city": "Portland",
            "state": "OR",
            "zip": "97201",
            "country": "US",
        },
        "orderItems": [{"itemIdentifier": {"sku": sku}, "qty": 2}],
    }


def create(sandbox: httpx.Client, auth: dict[str, str], reference: str, **kwargs: Any) -> httpx.Response:
    return sandbox.post("/orders", headers=auth, json=order_body(reference, **kwargs))


def put_faults(sandbox: httpx.Client, **faults: Any) -> None:
    sandbox.put("/_sandbox/faults", json=faults).raise_for_status()


# -- auth ---------------------------------------------------------------------------------------------


def test_token_endpoint_issues_a_bearer_token_for_the_configured_credentials(sandbox: httpx.Client) -> None:
    response = sandbox.post(
        "/AuthServer/api/Token", headers=basic(), json={"grant_type": "client_credentials"}
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 1800)
    assert sandbox.get("/_sandbox/stats").json()["tokensIssued"] == 1


def test_token_endpoint_refuses_a_wrong_secret(sandbox: httpx.Client) -> None:
    response = sandbox.post(
        "/AuthServer/api/Token", headers=basic(secret="nope"), json={"grant_type": "client_credentials"}
    )

    assert response.status_code == 401
    assert response.json() == {"ErrorCode": "InvalidClient", "Message": "The client credentials are invalid."}


def test_token_endpoint_refuses_another_grant_type(sandbox: httpx.Client) -> None:
    response = sandbox.post("/AuthServer/api/Token", headers=basic(), json={"grant_type": "password"})

    assert response.status_code == 400
    assert response.json()["Message"] == "grant_type must be client_credentials."


def test_api_refuses_requests_without_a_live_token(sandbox: httpx.Client) -> None:
    assert sandbox.get("/orders").status_code == 401
    assert sandbox.get("/orders", headers={"Authorization": "Bearer made-up"}).status_code == 401


def test_tokens_die_after_their_lifetime(sandbox: httpx.Client) -> None:
    sandbox.put("/_sandbox/settings", json={"token_ttl_seconds": 1}).raise_for_status()
    auth = bearer(sandbox)
    assert sandbox.get("/orders", headers=auth).status_code == 200

    time.sleep(1.05)

    assert sandbox.get("/orders", headers=auth).status_code == 401


def test_revoked_tokens_are_refused(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)

    assert sandbox.post("/_sandbox/tokens/revoke").json() == {"revoked": 1}
    assert sandbox.get("/orders", headers=auth).status_code == 401


# -- orders -------------------------------------------------------------------------------------------


def test_create_answers_201_with_the_order_and_its_read_only_block(sandbox: httpx.Client) -> None:
    response = create(sandbox, bearer(sandbox), "ref-1")

    assert response.status_code == 201
    assert response.headers["location"] == "/orders/1001"
    assert response.headers["content-type"] == "application/hal+json; charset=utf-8"
    order = response.json()
    assert order["referenceNum"] == "ref-1"
    assert order["customerIdentifier"] == {"id": 17}
    assert order["orderItems"] == [
        {"readOnly": {"orderItemId": 100101}, "itemIdentifier": {"sku": "WW-MUG"}, "qty": 2}
    ]
    read_only = order["readOnly"]
    assert (read_only["orderId"], read_only["status"], read_only["isClosed"]) == (1001, 0, False)
    assert (read_only["packages"], read_only["shipDate"]) == ([], None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", read_only["creationDate"])


def test_a_second_create_with_the_same_reference_is_refused_and_counted(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    create(sandbox, auth, "ref-1")

    response = create(sandbox, auth, "ref-1")

    assert response.status_code == 409
    assert response.json() == {
        "ErrorCode": "DuplicateReferenceNum",
        "Message": "An order with referenceNum ref-1 already exists (orderId 1001).",
    }
    admin = sandbox.get("/_sandbox/orders").json()
    assert (admin["count"], admin["createAttempts"]) == (1, {"ref-1": 2})
    assert admin["orders"][0]["createAttempts"] == 2


def test_admin_orders_show_the_body_exactly_as_received(sandbox: httpx.Client) -> None:
    create(sandbox, bearer(sandbox), "ref-1", carrier="FedEx", mode="2Day")

    view = sandbox.get("/_sandbox/orders").json()["orders"][0]

    assert view["received"] == order_body("ref-1", carrier="FedEx", mode="2Day")
    assert (view["orderId"], view["referenceNum"], view["status"], view["statusName"]) == (
        1001,
        "ref-1",
        0,
        "open",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"customerIdentifier": {"id": 17}}, "referenceNum is required."),
        (
            order_body("r") | {"facilityIdentifier": {}},
            "facilityIdentifier.id is required and must be an integer.",
        ),
        (order_body("r") | {"orderItems": []}, "orderItems must list at least one item."),
        (
            order_body("r") | {"orderItems": [{"itemIdentifier": {"sku": "A"}, "qty": 0}]},
            "orderItems[0].qty must be a positive number.",
        ),
        (
            order_body("r") | {"shipTo": {"city": "Portland"}},
            "shipTo with a name or companyName is required.",
        ),
    ],
)
def test_create_answers_400_naming_what_is_missing(
    sandbox: httpx.Client, body: dict[str, Any], message: str
) -> None:
    response = sandbox.post("/orders", headers=bearer(sandbox), json=body)

    assert response.status_code == 400
    assert response.json() == {"ErrorCode": "InvalidOrder", "Message": message}


def test_create_answers_400_to_a_body_that_is_not_json(sandbox: httpx.Client) -> None:
    response = sandbox.post(
        "/orders", headers=bearer(sandbox) | {"Content-Type": "application/json"}, content=b"{not json"
    )

    assert response.status_code == 400
    assert response.json()["ErrorCode"] == "InvalidJson"


def test_create_answers_422_for_an_unknown_sku(sandbox: httpx.Client) -> None:
    response = create(sandbox, bearer(sandbox), "ref-1", sku="INVALID-42")

    assert response.status_code == 422
    assert response.json() == {
        "ErrorCode": "InvalidItem",
        "Message": "Item with SKU INVALID-42 does not exist for this customer.",
    }
    assert sandbox.get("/_sandbox/orders").json()["count"] == 0


def test_list_by_reference_uses_extensivs_hal_shape(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    create(sandbox, auth, "ref-1")
    create(sandbox, auth, "ref-2")

    found = sandbox.get("/orders", headers=auth, params={"rql": "referenceNum==ref-2"}).json()
    missing = sandbox.get("/orders", headers=auth, params={"rql": "referenceNum==ref-3"}).json()
    everything = sandbox.get("/orders", headers=auth, params={"pgsiz": 1, "pgnum": 2}).json()

    assert found["totalResults"] == 1
    assert [order["readOnly"]["orderId"] for order in found["_embedded"][ORDER_REL]] == [1002]
    assert missing == {"totalResults": 0, "_embedded": {ORDER_REL: []}}
    assert everything["totalResults"] == 2
    assert [order["referenceNum"] for order in everything["_embedded"][ORDER_REL]] == ["ref-2"]


def test_list_refuses_rql_it_does_not_understand(sandbox: httpx.Client) -> None:
    response = sandbox.get("/orders", headers=bearer(sandbox), params={"rql": "notes=like=x"})

    assert response.status_code == 400
    assert response.json()["Message"] == "Unsupported rql clause: notes=like=x"


def test_get_unknown_order_answers_404(sandbox: httpx.Client) -> None:
    response = sandbox.get("/orders/999", headers=bearer(sandbox))

    assert response.status_code == 404
    assert response.json() == {"ErrorCode": "NotFound", "Message": "Order 999 was not found."}


# -- shipping -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("carrier", "mode", "carrier_out", "mode_out", "pattern"),
    [
        ("UPS", "2nd Day Air", "UPS", "2nd Day Air", r"1Z[0-9A-Z]{16}"),
        ("fedex", None, "FedEx", "FedEx Ground", r"\d{12}"),
        ("USPS", "First-Class", "USPS", "First-Class", r"\d{22}"),
        (None, None, "UPS", "Ground", r"1Z[0-9A-Z]{16}"),
    ],
)
def test_orders_ship_after_the_delay_with_a_tracking_number_in_the_carriers_format(
    sandbox: httpx.Client,
    carrier: str | None,
    mode: str | None,
    carrier_out: str,
    mode_out: str,
    pattern: str,
) -> None:
    sandbox.put("/_sandbox/settings", json={"ship_delay": 0.3}).raise_for_status()
    auth = bearer(sandbox)
    create(sandbox, auth, "ref-1", carrier=carrier, mode=mode)
    before = sandbox.get("/orders/1001", headers=auth).json()

    time.sleep(0.35)
    after = sandbox.get("/orders/1001", headers=auth).json()

    assert (before["readOnly"]["status"], before["readOnly"]["isClosed"]) == (0, False)
    assert (after["readOnly"]["status"], after["readOnly"]["isClosed"]) == (1, True)
    tracking = after["routingInfo"]["trackingNumber"]
    assert re.fullmatch(pattern, tracking)
    assert (after["routingInfo"]["carrier"], after["routingInfo"]["mode"]) == (carrier_out, mode_out)
    assert after["readOnly"]["packages"] == [
        {"packageId": 10011, "trackingNumber": tracking, "packageContents": []}
    ]
    assert after["readOnly"]["shipDate"] is not None


def test_ship_delay_zero_ships_on_the_next_status_read_not_in_the_create_answer(
    sandbox: httpx.Client,
) -> None:
    auth = bearer(sandbox)
    created = create(sandbox, auth, "ref-1").json()

    listed = sandbox.get("/orders", headers=auth, params={"rql": "referenceNum==ref-1"}).json()

    assert created["readOnly"]["status"] == 0
    assert listed["_embedded"][ORDER_REL][0]["readOnly"]["status"] == 1


def test_the_admin_view_does_not_ship_orders(sandbox: httpx.Client) -> None:
    create(sandbox, bearer(sandbox), "ref-1")

    assert sandbox.get("/_sandbox/orders").json()["orders"][0]["status"] == 0


def test_tracking_numbers_repeat_for_the_same_order(
    sandbox: httpx.Client, sandbox_server: SandboxServer
) -> None:
    auth = bearer(sandbox)
    create(sandbox, auth, "ref-1")
    first = sandbox.get("/orders/1001", headers=auth).json()["routingInfo"]["trackingNumber"]
    sandbox.post("/_sandbox/reset").raise_for_status()
    auth = bearer(sandbox)
    create(sandbox, auth, "ref-1")

    assert sandbox.get("/orders/1001", headers=auth).json()["routingInfo"]["trackingNumber"] == first


# -- cancel and labels --------------------------------------------------------------------------------


def test_canceler_cancels_an_open_order_and_is_harmless_twice(sandbox: httpx.Client) -> None:
    sandbox.put("/_sandbox/settings", json={"ship_delay": 60}).raise_for_status()
    auth = bearer(sandbox)
    create(sandbox, auth, "ref-1")

    first = sandbox.post("/orders/1001/canceler", headers=auth, json={"reason": "customer asked"})
    second = sandbox.post("/orders/1001/canceler", headers=auth, json={"reason": "again"})

    assert (first.status_code, second.status_code) == (200, 200)
    assert (second.json()["readOnly"]["status"], second.json()["readOnly"]["isClosed"]) == (2, True)
    assert sandbox.get("/_sandbox/orders").json()["orders"][0]["cancelReason"] == "customer asked"


def test_canceler_refuses_a_shipped_order_and_a_stale_etag(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    create(sandbox, auth, "ref-1")
    create(sandbox, auth, "ref-2")
    shipped = sandbox.post("/orders/1001/canceler", headers=auth, json={})
    stale = sandbox.post("/orders/1002/canceler", headers=auth | {"If-Match": 'W/"1002-0"'}, json={})

    assert shipped.status_code == 400
    assert shipped.json()["Message"] == "Order 1001 is closed and cannot be canceled."
    assert stale.status_code == 412


def test_labels_attach_replace_by_id_and_decide_the_tracking_number(sandbox: httpx.Client) -> None:
    sandbox.put("/_sandbox/settings", json={"ship_delay": 60}).raise_for_status()
    auth = bearer(sandbox)
    create(sandbox, auth, "ref-1", carrier="UPS")
    label = {
        "labelId": "lbl-1",
        "trackingNumber": "9400111899223100000001",
        "carrier": "USPS",
        "labelUrl": "https://labels.example/1.pdf",
        "labelFormat": "PDF",
    }

    first = sandbox.post("/orders/1001/labels", headers=auth, json=label | {"labelFormat": "ZPL"})
    second = sandbox.post("/orders/1001/labels", headers=auth, json=label)
    sandbox.put("/_sandbox/settings", json={"ship_delay": 0}).raise_for_status()
    shipped = sandbox.get("/orders/1001", headers=auth).json()

    assert (first.status_code, second.status_code) == (201, 200)
    assert sandbox.get("/_sandbox/orders").json()["orders"][0]["labels"] == [label]
    assert (shipped["routingInfo"]["carrier"], shipped["routingInfo"]["trackingNumber"]) == (
        "USPS",
        "9400111899223100000001",
    )


def test_forced_status_sticks_and_never_ships(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    create(sandbox, auth, "ref-1")

    sandbox.put("/_sandbox/orders/1001/status", json={"status": "error"}).raise_for_status()
    order = sandbox.get("/orders/1001", headers=auth).json()

    assert (order["readOnly"]["status"], order["readOnly"]["isClosed"]) == ("error", False)
    assert order["routingInfo"]["trackingNumber"] is None


# -- faults -------------------------------------------------------------------------------------------


def test_error_rate_fails_exactly_every_nth_create(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    put_faults(sandbox, error_rate=0.5)

    statuses = [create(sandbox, auth, f"ref-{n}").status_code for n in range(1, 5)]

    assert statuses == [201, 500, 201, 500]
    assert sandbox.get("/_sandbox/orders").json()["createAttempts"] == {
        "ref-1": 1,
        "ref-2": 1,
        "ref-3": 1,
        "ref-4": 1,
    }


def test_error_next_fails_the_next_creates_only(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    put_faults(sandbox, error_next=1)

    statuses = [create(sandbox, auth, "ref-1").status_code for _ in range(2)]

    assert statuses == [500, 201]


def test_rate_limit_answers_429_with_retry_after_seconds(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    put_faults(sandbox, rate_limit_next=2, retry_after_seconds=7)

    answers = [sandbox.get("/orders", headers=auth) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [429, 429, 200]
    assert answers[0].headers["retry-after"] == "7"


def test_rate_limit_can_say_retry_after_as_an_http_date(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    put_faults(sandbox, rate_limit_next=1, retry_after_http_date=True)

    answer = sandbox.get("/orders", headers=auth)

    assert answer.status_code == 429
    assert re.fullmatch(
        r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", answer.headers["retry-after"]
    )


def test_rate_limit_rate_limits_every_nth_request(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)  # request 1
    put_faults(sandbox, rate_limit_rate=0.25)

    statuses = [sandbox.get("/orders", headers=auth).status_code for _ in range(4)]  # requests 2-5

    assert statuses == [200, 200, 429, 200]


def test_status_5xx_answers_503_to_everything(sandbox: httpx.Client) -> None:
    put_faults(sandbox, status_5xx=True)

    token = sandbox.post("/AuthServer/api/Token", headers=basic(), json={"grant_type": "client_credentials"})

    assert token.status_code == 503
    assert token.json() == {
        "ErrorCode": "ServiceUnavailable",
        "Message": "The warehouse is temporarily unavailable.",
    }


def test_auth_failure_answers_401_on_token_and_api(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    put_faults(sandbox, auth_failure=True)

    token = sandbox.post("/AuthServer/api/Token", headers=basic(), json={"grant_type": "client_credentials"})
    api = sandbox.get("/orders", headers=auth)

    assert (token.status_code, api.status_code) == (401, 401)
    assert api.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_timeout_holds_requests_longer_than_the_client_waits(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    put_faults(sandbox, timeout=True, timeout_seconds=1.0)

    with pytest.raises(httpx.ReadTimeout):
        sandbox.get("/orders", headers=auth, timeout=0.2)
    time.sleep(1.0)  # let the held request finish before the next test resets the sandbox


def test_latency_delays_every_api_answer(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    put_faults(sandbox, latency_ms=200)

    started = time.monotonic()
    assert sandbox.get("/orders", headers=auth).status_code == 200

    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    ("mode", "body"),
    [("invalid_json", b'{"readOnly": {"orderId": '), ("missing_fields", b'{"unexpected": "shape"}')],
)
def test_malformed_answers(sandbox: httpx.Client, mode: str, body: bytes) -> None:
    auth = bearer(sandbox)
    put_faults(sandbox, malformed=mode)

    response = create(sandbox, auth, "ref-1")

    assert (response.status_code, response.content) == (201, body)


def test_faults_put_replaces_and_refuses_unknown_names(sandbox: httpx.Client) -> None:
    put_faults(sandbox, status_5xx=True, latency_ms=5)
    sandbox.put("/_sandbox/faults", json={"latency_ms": 10}).raise_for_status()
    refused = sandbox.put("/_sandbox/faults", json={"explode": True})

    faults = sandbox.get("/_sandbox/faults").json()
    assert (faults["status_5xx"], faults["latency_ms"]) == (False, 10)
    assert refused.status_code == 422


def test_reset_forgets_orders_tokens_and_faults(sandbox: httpx.Client) -> None:
    auth = bearer(sandbox)
    create(sandbox, auth, "ref-1")
    put_faults(sandbox, status_5xx=True)

    assert sandbox.post("/_sandbox/reset").status_code == 204

    assert sandbox.get("/_sandbox/orders").json() == {"count": 0, "orders": [], "createAttempts": {}}
    assert sandbox.get("/_sandbox/faults").json() == SandboxFaults().model_dump()
    assert sandbox.get("/orders", headers=auth).status_code == 401


def test_faults_given_at_start_are_in_force_and_survive_reset() -> None:
    config = SandboxConfig(faults=SandboxFaults(status_5xx=True))
    with SandboxServer(config) as server, httpx.Client(base_url=server.url) as client:
        client.post("/_sandbox/reset").raise_for_status()

        token = client.post(
            "/AuthServer/api/Token", headers=basic("any", "pair"), json={"grant_type": "client_credentials"}
        )

    assert token.status_code == 503
