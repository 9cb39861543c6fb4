"""The Extensiv connector against the real sandbox warehouse: submit, tokens, tracking, cancel, labels."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import httpx
import pytest

from warpware.connectors.base import (
    Label,
    OutboundOrder,
    PermanentConnectorError,
    SubmitResult,
    TrackingUpdate,
)
from warpware.connectors.extensiv import ExtensivDestination

if TYPE_CHECKING:
    from conftest import FakeClock

# The reference make_order uses by default (conftest.REFERENCE), spelled out so tests read on their own.
REFERENCE = "0b5c6a52-5f0e-4a53-9d44-0b7f3f4a1c01"

MakeDestination = Callable[..., ExtensivDestination]
MakeOrder = Callable[..., OutboundOrder]


def stats(sandbox: httpx.Client) -> dict[str, int]:
    result: dict[str, int] = sandbox.get("/_sandbox/stats").json()
    return result


def set_ship_delay(sandbox: httpx.Client, seconds: float) -> None:
    sandbox.put("/_sandbox/settings", json={"ship_delay": seconds}).raise_for_status()


# -- submit -------------------------------------------------------------------------------------------


def test_submit_creates_the_order_with_every_field_mapped(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    result = destination.submit(make_order(skus=("WW-MUG", "WW-TEE")))

    assert result == SubmitResult(destination_order_id="1001", raw_status="open", response_status=201)
    received = sandbox.get("/_sandbox/orders").json()["orders"][0]["received"]
    assert received["customerIdentifier"] == {"id": 17}
    assert received["facilityIdentifier"] == {"id": 3}
    assert received["referenceNum"] == REFERENCE
    assert received["poNum"] == "#1042"
    assert received["notes"] == "Gift wrap"
    assert received["shippingNotes"] == "Leave at the door"
    assert received["billingCode"] == "Prepaid"
    assert received["routingInfo"] == {"carrier": "UPS", "mode": "Ground", "scacCode": "UPSN"}
    assert received["shipTo"] == {
        "companyName": "Engines Ltd",
        "name": "Ada Lovelace",
        "address1": "12 Analytical Way",
        "address2": "Suite 3",
        "city": "Portland",
        "state": "OR",
        "zip": "97201",
        "country": "US",
        "phoneNumber": "+1 503 555 0100",
        "emailAddress": "ada@example.com",
    }
    assert received["soldTo"] == {"sameAs": 0}
    assert received["orderItems"] == [
        {"itemIdentifier": {"sku": "WW-MUG"}, "qty": 2},
        {"itemIdentifier": {"sku": "WW-TEE"}, "qty": 3},
    ]
    assert set(received) == {
        "customerIdentifier",
        "facilityIdentifier",
        "referenceNum",
        "poNum",
        "notes",
        "shippingNotes",
        "billingCode",
        "routingInfo",
        "shipTo",
        "soldTo",
        "orderItems",
    }


def test_submitting_the_same_reference_again_creates_nothing(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    set_ship_delay(sandbox, 60)
    destination.submit(make_order())

    again = destination.submit(make_order())

    assert again == SubmitResult(
        destination_order_id="1001", raw_status="open", response_status=200, already_existed=True
    )
    admin = sandbox.get("/_sandbox/orders").json()
    assert (admin["count"], admin["createAttempts"]) == (1, {REFERENCE: 1})


def test_a_resend_after_a_crash_finds_the_order_another_destination_object_created(
    make_destination: MakeDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    make_destination().submit(make_order())

    again = make_destination().submit(make_order())

    assert (again.destination_order_id, again.already_existed) == ("1001", True)
    assert sandbox.get("/_sandbox/orders").json()["createAttempts"] == {REFERENCE: 1}


def test_two_senders_racing_past_the_lookup_both_report_the_one_order(
    make_destination: MakeDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    # Given two senders of one order (a worker paused past its lease and the one that took the job over)
    # that both looked the reference up before either created it
    both_looked_up = threading.Barrier(2, timeout=10)

    def wait_for_the_other_lookup(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path.endswith("/orders"):
            both_looked_up.wait()

    senders = [
        make_destination(client=httpx.Client(event_hooks={"request": [wait_for_the_other_lookup]}))
        for _ in range(2)
    ]
    with ThreadPoolExecutor(2) as pool:
        # When both create it
        results = list(pool.map(lambda sender: sender.submit(make_order()), senders))

    # Then one created it, the other was refused as a duplicate and reports the same order as already there
    assert sorted((r.destination_order_id, r.already_existed, r.response_status) for r in results) == [
        ("1001", False, 201),
        ("1001", True, 200),
    ]
    admin = sandbox.get("/_sandbox/orders").json()
    assert (admin["count"], admin["createAttempts"]) == (1, {REFERENCE: 2})
    for sender in senders:
        sender._client.close()


# -- tokens -------------------------------------------------------------------------------------------


def test_one_token_serves_many_calls(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    for n in range(5):
        destination.submit(make_order(f"ref-{n}"))

    assert (stats(sandbox)["tokenRequests"], stats(sandbox)["orders"]) == (1, 5)


def test_the_token_is_refreshed_a_minute_before_it_expires(
    make_destination: MakeDestination, sandbox: httpx.Client, make_order: MakeOrder, fake_clock: FakeClock
) -> None:
    destination = make_destination(clock=fake_clock)
    destination.submit(make_order("ref-1"))

    fake_clock.advance(1739)  # sandbox tokens live 1800 s; the refresh is due at 1740
    destination.submit(make_order("ref-2"))
    tokens_before_refresh = stats(sandbox)["tokenRequests"]
    fake_clock.advance(1)
    destination.submit(make_order("ref-3"))

    assert (tokens_before_refresh, stats(sandbox)["tokenRequests"]) == (1, 2)


def test_a_token_the_server_no_longer_accepts_is_replaced_once(
    make_destination: MakeDestination, sandbox: httpx.Client, make_order: MakeOrder, fake_clock: FakeClock
) -> None:
    # The client's clock stands still, so only the server's 401 can tell it the token has expired.
    sandbox.put("/_sandbox/settings", json={"token_ttl_seconds": 1}).raise_for_status()
    destination = make_destination(clock=fake_clock)
    destination.submit(make_order("ref-1"))
    time.sleep(1.05)

    result = destination.submit(make_order("ref-2"))

    assert (result.destination_order_id, stats(sandbox)["tokenRequests"]) == ("1002", 2)


def test_a_revoked_token_is_replaced_and_the_call_goes_through(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    destination.submit(make_order("ref-1"))
    sandbox.post("/_sandbox/tokens/revoke").raise_for_status()

    result = destination.submit(make_order("ref-2"))

    assert result.destination_order_id == "1002"
    assert stats(sandbox)["tokenRequests"] == 2


def test_wrong_credentials_fail_as_auth(make_destination: MakeDestination) -> None:
    destination = make_destination(client_secret="wrong")

    with pytest.raises(PermanentConnectorError) as caught:
        destination.test()

    assert (caught.value.category, caught.value.status_code) == ("auth", 401)
    assert caught.value.message == (
        "Extensiv POST /AuthServer/api/Token answered 401: The client credentials are invalid."
    )


def test_test_fetches_a_token_and_lists_one_order(
    destination: ExtensivDestination, sandbox: httpx.Client
) -> None:
    destination.test()

    assert (stats(sandbox)["tokenRequests"], stats(sandbox)["apiRequests"]) == (1, 2)


# -- tracking -----------------------------------------------------------------------------------------


def test_poll_reports_processing_until_shipped_then_carrier_tracking_and_ship_date(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    set_ship_delay(sandbox, 0.3)
    order_id = destination.submit(
        make_order(carrier="FedEx", service_level="FedEx 2Day")
    ).destination_order_id
    before = destination.poll_tracking(REFERENCE, order_id)

    time.sleep(0.35)
    after = destination.poll_tracking(REFERENCE, order_id)

    assert before == TrackingUpdate(raw_status="open", status="processing")
    assert after is not None
    assert (after.raw_status, after.status, after.carrier, after.service_level) == (
        "closed",
        "shipped",
        "FedEx",
        "FedEx 2Day",
    )
    assert after.tracking_number is not None and re.fullmatch(r"\d{12}", after.tracking_number)
    assert after.shipped_at is not None and after.shipped_at.tzinfo == dt.UTC
    assert abs((dt.datetime.now(dt.UTC) - after.shipped_at).total_seconds()) < 5


@pytest.mark.parametrize(("carrier", "pattern"), [("UPS", r"1Z[0-9A-Z]{16}"), ("USPS", r"\d{22}")])
def test_tracking_numbers_have_the_carriers_format(
    destination: ExtensivDestination, make_order: MakeOrder, carrier: str, pattern: str
) -> None:
    order_id = destination.submit(make_order(carrier=carrier)).destination_order_id

    update = destination.poll_tracking(REFERENCE, order_id)

    assert update is not None and update.carrier == carrier
    assert update.tracking_number is not None and re.fullmatch(pattern, update.tracking_number)


def test_poll_without_an_id_looks_the_reference_up(
    destination: ExtensivDestination, make_order: MakeOrder, sandbox: httpx.Client
) -> None:
    set_ship_delay(sandbox, 60)
    destination.submit(make_order())

    assert destination.poll_tracking(REFERENCE, None) == TrackingUpdate(
        raw_status="open", status="processing"
    )
    assert destination.poll_tracking("never-sent", None) is None


def test_poll_refuses_an_id_that_belongs_to_another_reference(
    destination: ExtensivDestination, make_order: MakeOrder
) -> None:
    destination.submit(make_order())

    with pytest.raises(PermanentConnectorError) as caught:
        destination.poll_tracking("someone-else", "1001")

    assert caught.value.category == "validation"
    assert caught.value.message == f"Extensiv /orders/1001 holds referenceNum {REFERENCE}, not someone-else"


@pytest.mark.parametrize(
    ("forced", "raw_status", "status"),
    [
        (0, "open", "processing"),
        (2, "canceled", "cancelled"),
        ("new", "new", "processing"),
        ("at_wms", "at_wms", "processing"),
        ("shipped", "shipped", "shipped"),
        ("confirmed", "confirmed", "shipped"),
        ("Canceled", "canceled", "cancelled"),
        ("error", "error", "failed"),
        ("something_new", "something_new", "processing"),
    ],
)
def test_extensiv_statuses_map_to_ours_and_stay_raw(
    destination: ExtensivDestination,
    sandbox: httpx.Client,
    make_order: MakeOrder,
    forced: int | str,
    raw_status: str,
    status: str,
) -> None:
    destination.submit(make_order())
    sandbox.put("/_sandbox/orders/1001/status", json={"status": forced}).raise_for_status()

    update = destination.poll_tracking(REFERENCE, "1001")

    assert update is not None
    assert (update.raw_status, update.status) == (raw_status, status)
    assert update.error_message == ("Extensiv reports the order as error" if status == "failed" else None)


def test_a_closed_order_without_tracking_is_shipped_with_no_tracking_number(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    destination.submit(make_order())
    sandbox.put("/_sandbox/orders/1001/status", json={"status": 1}).raise_for_status()

    update = destination.poll_tracking(REFERENCE, "1001")

    assert update == TrackingUpdate(
        raw_status="closed", status="shipped", carrier="UPS", service_level="Ground"
    )


# -- cancel -------------------------------------------------------------------------------------------


def test_cancel_cancels_at_extensiv_and_is_harmless_twice(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    set_ship_delay(sandbox, 60)
    destination.submit(make_order())

    destination.cancel(REFERENCE, "1001")
    destination.cancel(REFERENCE, None)

    view = sandbox.get("/_sandbox/orders").json()["orders"][0]
    assert (view["status"], view["cancelReason"]) == (2, "Cancelled in WarpWare")
    assert destination.poll_tracking(REFERENCE, "1001") == TrackingUpdate(
        raw_status="canceled", status="cancelled"
    )


def test_cancelling_an_order_extensiv_never_had_is_not_an_error(destination: ExtensivDestination) -> None:
    destination.cancel("never-sent", None)
    destination.cancel("never-sent", "4242")


def test_cancelling_a_shipped_order_fails_as_validation(
    destination: ExtensivDestination, make_order: MakeOrder
) -> None:
    destination.submit(make_order())

    with pytest.raises(PermanentConnectorError) as caught:
        destination.cancel(REFERENCE, "1001")

    assert caught.value.category == "validation"
    assert caught.value.message == "Extensiv order 1001 is closed and can no longer be cancelled"


# -- labels -------------------------------------------------------------------------------------------


def test_attach_label_sends_every_label_field_and_its_tracking_number_ships(
    destination: ExtensivDestination, sandbox: httpx.Client, make_order: MakeOrder
) -> None:
    set_ship_delay(sandbox, 60)
    destination.submit(make_order())
    label = Label(
        label_id="lbl-7",
        tracking_number="1Z999AA10123456784",
        carrier="UPS",
        label_url="https://labels.example/lbl-7.pdf",
        label_format="PDF",
    )

    destination.attach_label("1001", label)
    destination.attach_label("1001", label)
    set_ship_delay(sandbox, 0)
    update = destination.poll_tracking(REFERENCE, "1001")

    assert sandbox.get("/_sandbox/orders").json()["orders"][0]["labels"] == [
        {
            "labelId": "lbl-7",
            "trackingNumber": "1Z999AA10123456784",
            "carrier": "UPS",
            "labelUrl": "https://labels.example/lbl-7.pdf",
            "labelFormat": "PDF",
        }
    ]
    assert update is not None and update.tracking_number == "1Z999AA10123456784"


def test_attach_label_to_a_shipped_order_fails_with_the_remotes_message(
    destination: ExtensivDestination, make_order: MakeOrder
) -> None:
    destination.submit(make_order())
    destination.poll_tracking(REFERENCE, "1001")

    with pytest.raises(PermanentConnectorError) as caught:
        destination.attach_label(
            "1001", Label(label_id="l", tracking_number=None, carrier=None, label_url=None)
        )

    assert caught.value.message == (
        "Extensiv POST /orders/1001/labels answered 400: Order 1001 is closed; labels are refused."
    )


def test_an_order_id_that_is_not_a_number_never_reaches_a_url(destination: ExtensivDestination) -> None:
    with pytest.raises(PermanentConnectorError) as caught:
        destination.poll_tracking(REFERENCE, "1001/../../admin")

    assert caught.value.message == "Extensiv order id '1001/../../admin' is not a number"
