"""Every remote failure becomes the right typed error: faults injected in the real sandbox."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from warpware.connectors.base import (
    ConnectorError,
    OutboundOrder,
    PermanentConnectorError,
    RetryableConnectorError,
)
from warpware.connectors.extensiv import ExtensivDestination
from warpware.connectors.extensiv.errors import parse_retry_after

REFERENCE = "0b5c6a52-5f0e-4a53-9d44-0b7f3f4a1c01"

MakeDestination = Callable[..., ExtensivDestination]
MakeOrder = Callable[..., OutboundOrder]


def put_faults(sandbox: httpx.Client, **faults: Any) -> None:
    sandbox.put("/_sandbox/faults", json=faults).raise_for_status()


def test_429_is_retryable_rate_limit_with_the_retry_after_seconds(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    destination.test()
    put_faults(sandbox, rate_limit_next=1, retry_after_seconds=7)

    with pytest.raises(RetryableConnectorError) as caught:
        destination.submit(make_order())

    error = caught.value
    assert (error.category, error.status_code, error.retry_after) == ("rate_limit", 429, 7.0)
    assert error.message == "Extensiv GET /orders answered 429: Rate limit exceeded; retry later."


def test_429_with_an_http_date_gives_the_seconds_until_then(
    destination: ExtensivDestination, sandbox: httpx.Client
) -> None:
    destination.test()
    put_faults(sandbox, rate_limit_next=1, retry_after_seconds=30, retry_after_http_date=True)

    with pytest.raises(RetryableConnectorError) as caught:
        destination.test()

    # The header has whole seconds, so up to one second of the 30 is lost to rounding, and a loaded
    # machine may take a few more between the sandbox writing the date and us reading it.
    assert caught.value.retry_after is not None and 25.0 <= caught.value.retry_after <= 30.0


def test_a_rate_limited_token_request_is_rate_limit_too(
    destination: ExtensivDestination, sandbox: httpx.Client
) -> None:
    put_faults(sandbox, rate_limit_next=1, retry_after_seconds=3)

    with pytest.raises(RetryableConnectorError) as caught:
        destination.test()

    assert (caught.value.category, caught.value.retry_after) == ("rate_limit", 3.0)


def test_503_is_retryable_server(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    put_faults(sandbox, status_5xx=True)

    with pytest.raises(RetryableConnectorError) as caught:
        destination.submit(make_order())

    assert (caught.value.category, caught.value.status_code, caught.value.retry_after) == (
        "server",
        503,
        None,
    )
    assert caught.value.message == (
        "Extensiv POST /AuthServer/api/Token answered 503: The warehouse is temporarily unavailable."
    )


def test_a_500_on_create_is_retryable_and_the_retry_creates_exactly_one_order(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    put_faults(sandbox, error_next=1)

    with pytest.raises(RetryableConnectorError) as caught:
        destination.submit(make_order())
    retried = destination.submit(make_order())

    assert (caught.value.category, caught.value.status_code) == ("server", 500)
    assert (retried.destination_order_id, retried.already_existed) == ("1001", False)
    admin = sandbox.get("/_sandbox/orders").json()
    assert (admin["count"], admin["createAttempts"]) == (1, {REFERENCE: 2})


def test_401_everywhere_is_permanent_auth(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    destination.test()
    put_faults(sandbox, auth_failure=True)

    with pytest.raises(PermanentConnectorError) as caught:
        destination.submit(make_order())

    assert (caught.value.category, caught.value.status_code) == ("auth", 401)
    assert caught.value.message == (
        "Extensiv POST /AuthServer/api/Token answered 401: Authorization has been denied for this request."
    )


def test_a_remote_that_does_not_answer_in_time_is_network_timeout(
    make_destination: MakeDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    destination = make_destination(read_timeout=0.3)
    destination.test()
    put_faults(sandbox, timeout=True, timeout_seconds=1.0)

    with pytest.raises(RetryableConnectorError) as caught:
        destination.submit(make_order())

    assert (caught.value.category, caught.value.status_code) == ("network_timeout", None)
    assert caught.value.message == "Extensiv GET /orders failed: ReadTimeout: timed out"
    put_faults(sandbox)
    time.sleep(1.0)  # the held lookup finishes; it never reached create
    assert sandbox.get("/_sandbox/orders").json()["count"] == 0


def test_a_closed_port_is_network_timeout(make_destination: MakeDestination) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    destination = make_destination(base_url=f"http://127.0.0.1:{port}")

    with pytest.raises(RetryableConnectorError) as caught:
        destination.test()

    assert caught.value.category == "network_timeout"
    assert caught.value.message.startswith("Extensiv POST /AuthServer/api/Token failed: ConnectError: ")


def test_an_unknown_sku_is_permanent_validation_with_the_remotes_message(
    destination: ExtensivDestination, make_order: MakeOrder
) -> None:
    with pytest.raises(PermanentConnectorError) as caught:
        destination.submit(make_order(skus=("WW-MUG", "INVALID-9")))

    assert (caught.value.category, caught.value.status_code) == ("validation", 422)
    assert caught.value.message == (
        "Extensiv POST /orders answered 422: Item with SKU INVALID-9 does not exist for this customer."
    )


def test_a_400_is_permanent_validation_with_the_remotes_message(
    destination: ExtensivDestination, make_order: MakeOrder
) -> None:
    with pytest.raises(PermanentConnectorError) as caught:
        destination.submit(make_order(skus=()))

    assert (caught.value.category, caught.value.status_code) == ("validation", 400)
    assert (
        caught.value.message == "Extensiv POST /orders answered 400: orderItems must list at least one item."
    )


def test_a_404_is_permanent_validation(destination: ExtensivDestination) -> None:
    with pytest.raises(PermanentConnectorError) as caught:
        destination.poll_tracking(REFERENCE, "4242")

    assert (caught.value.category, caught.value.status_code) == ("validation", 404)
    assert caught.value.message == "Extensiv GET /orders/4242 answered 404: Order 4242 was not found."


def test_unparseable_json_is_a_connector_error_not_a_crash(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    destination.test()
    put_faults(sandbox, malformed="invalid_json")

    with pytest.raises(RetryableConnectorError) as caught:
        destination.submit(make_order())

    assert (caught.value.category, caught.value.status_code) == ("server", 200)
    assert caught.value.message.startswith("Extensiv GET /orders answered with an unusable body: not JSON (")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "submit",
            "Extensiv GET /orders answered with an unusable body: totalResults is missing or not an "
            "integer (None)",
        ),
        (
            "poll",
            "Extensiv GET /orders/1001 answered with an unusable body: readOnly is missing or not an object",
        ),
        (
            "test",
            "Extensiv GET /orders answered with an unusable body: totalResults is missing or not an "
            "integer (None)",
        ),
    ],
)
def test_json_without_the_expected_fields_is_a_connector_error(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder, call: str, message: str
) -> None:
    destination.submit(make_order())
    put_faults(sandbox, malformed="missing_fields")

    with pytest.raises(ConnectorError) as caught:
        if call == "submit":
            destination.submit(make_order("another"))
        elif call == "poll":
            destination.poll_tracking(REFERENCE, "1001")
        else:
            destination.test()

    assert caught.value.message == message


def test_a_garbled_create_answer_is_retryable_and_the_resend_finds_the_order(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    # The order is created but its answer is unusable: the worst case for a client that resends.
    put_faults(sandbox, malformed="missing_fields", malformed_scope="create")

    with pytest.raises(RetryableConnectorError) as caught:
        destination.submit(make_order())
    put_faults(sandbox)
    resent = destination.submit(make_order())

    assert (caught.value.category, caught.value.status_code) == ("server", 201)
    assert caught.value.message == (
        "Extensiv POST /orders answered with an unusable body: "
        "readOnly.orderId is missing or not a positive integer (None)"
    )
    assert (resent.destination_order_id, resent.already_existed) == ("1001", True)
    admin = sandbox.get("/_sandbox/orders").json()
    assert (admin["count"], admin["createAttempts"]) == (1, {REFERENCE: 1})


def test_a_token_answer_without_a_token_is_a_connector_error(
    destination: ExtensivDestination, sandbox: httpx.Client
) -> None:
    put_faults(sandbox, malformed="missing_fields")

    with pytest.raises(RetryableConnectorError) as caught:
        destination.test()

    assert caught.value.message == (
        "Extensiv POST /AuthServer/api/Token answered with an unusable body: access_token is missing"
    )


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(header: str | None, seconds: float | None) -> None:
    now = dt.datetime(2015, 10, 21, 7, 28, 0, tzinfo=dt.UTC)

    assert parse_retry_after(header, now) == seconds
