from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fake_shipstation import API_KEY, API_SECRET, FakeShipStation
from pydantic import SecretStr

from warpware.connectors.base import Address, LineItem, OutboundOrder, RetryableConnectorError, TrackingUpdate
from warpware.connectors.shipstation import (
    LimiterBusy,
    ShipmentTracking,
    ShipNotifyError,
    ShipNotifyEvent,
    ShipStationCredentials,
    ShipStationDestination,
    ShipStationSettings,
    SlidingWindowLimiter,
    account_limiter,
    parse_ship_notify,
    safe_resource_path,
)

CREDENTIALS = ShipStationCredentials(api_key=SecretStr(API_KEY), api_secret=SecretStr(API_SECRET))


class FakeClock:
    """Monotonic time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _order(reference: str, number: str) -> OutboundOrder:
    return OutboundOrder(
        reference=reference,
        external_id=number,
        line_items=(LineItem(sku="MUG-01", quantity=1, price=Decimal("12.00")),),
        shipping_address=Address(
            name="Lee Park", address1="9 Elm St", city="Austin", state="TX", zip="78701"
        ),
    )


def test_ship_notify_body_is_parsed() -> None:
    body = (
        b'{"resource_url":"https://ssapi.shipstation.com/shipments?storeID=22766&batchId=7781'
        b'&includeShipmentItems=False","resource_type":"SHIP_NOTIFY"}'
    )

    assert parse_ship_notify(body) == ShipNotifyEvent(
        resource_url="https://ssapi.shipstation.com/shipments?storeID=22766&batchId=7781&includeShipmentItems=False",
        resource_type="SHIP_NOTIFY",
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"resource_url": 5, "resource_type": "SHIP_NOTIFY"}',
        b'{"resource_type": "SHIP_NOTIFY"}',
        b'{"resource_url": "https://x/shipments"}',
    ],
)
def test_malformed_ship_notify_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(ShipNotifyError):
        parse_ship_notify(body)


def test_fetch_ship_notify_reads_every_page_of_live_shipments(
    shipstation: FakeShipStation, shipstation_url: str
) -> None:
    destination = ShipStationDestination(
        ShipStationSettings(base_url=shipstation_url), CREDENTIALS, limiter=SlidingWindowLimiter(1000)
    )
    destination.submit(_order("ref-a", "W-1"))
    destination.submit(_order("ref-b", "W-2"))
    a, b = shipstation.orders["ref-a"], shipstation.orders["ref-b"]
    shipstation.add_shipment(a, trackingNumber="1Z0001", carrierCode="ups", serviceCode="ups_ground")
    shipstation.add_shipment(b, trackingNumber="VOID-9", voided=True)
    shipstation.add_shipment(b, trackingNumber="9400100", shipDate="2026-01-18")
    shipstation.add_shipment(b, trackingNumber="OTHER-BATCH", batchId=1)
    shipstation.page_size = 2
    shipstation.requests.clear()

    found = destination.fetch_ship_notify(
        f"{shipstation_url}/shipments?storeID=22766&batchId=7781&includeShipmentItems=False"
    )

    assert found == [
        ShipmentTracking(
            reference="ref-a",
            destination_order_id="94113001",
            order_number="W-1",
            update=TrackingUpdate(
                raw_status="shipped",
                status="shipped",
                carrier="ups",
                tracking_number="1Z0001",
                service_level="ups_ground",
                shipped_at=dt.datetime(2026, 1, 17, tzinfo=dt.UTC),
            ),
        ),
        ShipmentTracking(
            reference="ref-b",
            destination_order_id="94113002",
            order_number="W-2",
            update=TrackingUpdate(
                raw_status="shipped",
                status="shipped",
                carrier="stamps_com",
                tracking_number="9400100",
                service_level="usps_ground_advantage",
                shipped_at=dt.datetime(2026, 1, 18, tzinfo=dt.UTC),
            ),
        ),
    ]
    assert [(r.path, r.query) for r in shipstation.requests] == [
        ("/shipments", {"storeID": "22766", "batchId": "7781", "includeShipmentItems": "False"}),
        ("/shipments", {"storeID": "22766", "batchId": "7781", "includeShipmentItems": "False", "page": "2"}),
    ]


@pytest.mark.parametrize(
    "resource_url",
    [
        "https://evil.example.com/shipments?batchId=1",
        "http://ssapi.shipstation.com/shipments?batchId=1",
        "https://ssapi.shipstation.com:8443/shipments?batchId=1",
        "https://ssapi.shipstation.com@evil.example.com/shipments",
        "https://user:pw@ssapi.shipstation.com/shipments",
        "https://evil.example.com\\@ssapi.shipstation.com/shipments",
        "https://ssapi.shipstation.com.evil.example.com/shipments",
        "https://ssapi.shipstation.com/orders?orderStatus=shipped",
        "https://ssapi.shipstation.com/shipments/../accounts/listtags",
        "https://ssapi.shipstation.com:99999/shipments",
        "//evil.example.com/shipments",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_resource_urls_off_our_host_are_never_followed(resource_url: str) -> None:
    with pytest.raises(ShipNotifyError):
        safe_resource_path(resource_url, "https://ssapi.shipstation.com")


def test_a_resource_url_on_our_host_becomes_a_path() -> None:
    assert (
        safe_resource_path(
            "https://SSAPI.shipstation.com:443/shipments?batchId=7781", "https://ssapi.shipstation.com"
        )
        == "/shipments?batchId=7781"
    )


def test_fetch_ship_notify_sends_nothing_for_a_foreign_url(
    shipstation: FakeShipStation, shipstation_url: str
) -> None:
    destination = ShipStationDestination(
        ShipStationSettings(base_url=shipstation_url), CREDENTIALS, limiter=SlidingWindowLimiter(1000)
    )

    with pytest.raises(ShipNotifyError):
        destination.fetch_ship_notify("http://127.0.0.2:1/shipments?batchId=1")
    assert shipstation.requests == []


def test_forty_requests_a_minute_then_a_wait() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(40, clock=clock, sleep=clock.sleep)

    for _ in range(40):
        assert limiter.acquire(max_wait=0) == 0
    assert limiter.acquire(max_wait=60) == 60.0  # the 41st waits for the next minute
    assert clock.sleeps == [60.0]
    for _ in range(39):  # which has 39 more slots
        assert limiter.acquire(max_wait=0) == 0
    with pytest.raises(LimiterBusy) as caught:
        limiter.acquire(max_wait=5)
    assert caught.value.retry_after == 60.0
    assert clock.sleeps == [60.0]


def test_any_sixty_seconds_hold_at_most_the_limit() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, window=60, clock=clock, sleep=clock.sleep)
    starts = []
    for step in (0, 10, 50, 55, 61, 65, 130):
        clock.now = max(clock.now, 1000.0 + step)
        limiter.acquire(max_wait=1000)
        starts.append(clock.now - 1000)

    assert starts == [0, 10, 50, 60, 70, 110, 130]
    assert all(sum(1 for s in starts if t <= s < t + 60) <= 3 for t in starts)


def test_a_server_side_block_holds_everyone_back() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(40, clock=clock, sleep=clock.sleep)

    limiter.block_for(17)

    with pytest.raises(LimiterBusy) as caught:
        limiter.acquire(max_wait=10)
    assert caught.value.retry_after == 17.0


def test_the_destination_waits_for_its_slot(shipstation: FakeShipStation, shipstation_url: str) -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(2, clock=clock, sleep=clock.sleep)
    destination = ShipStationDestination(
        ShipStationSettings(base_url=shipstation_url, max_wait_seconds=120), CREDENTIALS, limiter=limiter
    )

    for _ in range(3):
        destination.test()

    assert clock.sleeps == [60.0]
    assert len(shipstation.requests) == 3


def test_a_spent_budget_is_a_retryable_rate_limit_without_a_request(
    shipstation: FakeShipStation, shipstation_url: str
) -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(1, clock=clock, sleep=clock.sleep)
    destination = ShipStationDestination(
        ShipStationSettings(base_url=shipstation_url, max_wait_seconds=10), CREDENTIALS, limiter=limiter
    )
    destination.test()

    with pytest.raises(RetryableConnectorError) as caught:
        destination.test()

    assert (caught.value.category, caught.value.retry_after) == ("rate_limit", 60.0)
    assert len(shipstation.requests) == 1


def test_the_servers_count_is_believed(shipstation: FakeShipStation, shipstation_url: str) -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(40, clock=clock, sleep=clock.sleep)
    destination = ShipStationDestination(
        ShipStationSettings(base_url=shipstation_url, max_wait_seconds=0), CREDENTIALS, limiter=limiter
    )
    shipstation.remaining = 1  # another app on the account has used the rest of this minute

    destination.test()

    with pytest.raises(RetryableConnectorError) as caught:
        destination.test()
    assert caught.value.retry_after == 37.0  # the fake's X-Rate-Limit-Reset


def test_connections_on_one_account_share_a_limiter() -> None:
    assert account_limiter("https://ssapi.shipstation.com|key-1", 40) is account_limiter(
        "https://ssapi.shipstation.com|key-1", 40
    )
    assert account_limiter("https://ssapi.shipstation.com|key-1", 40) is not account_limiter(
        "https://ssapi.shipstation.com|key-2", 40
    )
    assert account_limiter("https://ssapi.shipstation.com|key-1", 40).limit == 40
