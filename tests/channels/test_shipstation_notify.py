"""ShipStation SHIP_NOTIFY: an unsigned trigger that makes us fetch shipments from our own ShipStation
(a local stand-in of its v1 API) and apply them to the orders we sent there."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.channels.conftest import Channels

sys.path.insert(0, str(Path(__file__).parents[1] / "connectors" / "shipstation"))
from fake_shipstation import API_KEY, API_SECRET, FakeShipStation, serve  # noqa: E402


@pytest.fixture(scope="module")
def shipstation_server() -> Iterator[tuple[FakeShipStation, str]]:
    fake = FakeShipStation()
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture
def shipstation(
    channels: Channels, shipstation_server: tuple[FakeShipStation, str], work: Callable[[], int]
) -> tuple[FakeShipStation, str, str, str]:
    """An order sent to ShipStation (the account's default destination) and waiting for tracking."""
    fake, url = shipstation_server
    fake.reset()
    connection_id = channels.create(
        "shipstation", {"base_url": url}, {"api_key": API_KEY, "api_secret": API_SECRET}, is_default=True
    )
    response = channels.tenant.post(
        "/partner/v1/orders",
        json={
            "external_id": "SS-1001",
            "line_items": [{"sku": "TEE-RED-M", "quantity": 2, "price": 18}],
            "shipping_address": {
                "name": "Ana Ruiz",
                "address1": "1 Elm St",
                "city": "Reno",
                "state": "NV",
                "zip": "89501",
            },
        },
    )
    assert response.status_code == 201, response.text
    order_id = response.json()["data"]["id"]
    work()
    assert channels.order(order_id)["status"] == "processing"
    return fake, url, connection_id, order_id


def notify(channels: Channels, connection_id: str, resource_url: str) -> object:
    return channels.tenant.client.post(
        f"/hooks/shipstation/{connection_id}",
        json={"resource_url": resource_url, "resource_type": "SHIP_NOTIFY"},
    )


def test_ship_notify_fetches_the_batch_and_ships_the_order(
    channels: Channels, shipstation: tuple[FakeShipStation, str, str, str], work: Callable[[], int]
) -> None:
    fake, url, connection_id, order_id = shipstation
    fake.add_shipment(fake.orders[order_id], batchId=7781)
    resource = f"{url}/shipments?batchId=7781&includeShipmentItems=False"

    response = notify(channels, connection_id, resource)

    assert response.status_code == 202  # type: ignore[attr-defined]
    assert response.json() == {"data": {"queued": True, "resource_type": "SHIP_NOTIFY"}, "meta": {}}  # type: ignore[attr-defined]
    work()
    order = channels.order(order_id)
    assert (order["status"], order["tracking_number"], order["carrier"]) == (
        "shipped",
        "9400111899223197428490",
        "stamps_com",
    )
    fetches = [r for r in fake.requests if r.path == "/shipments" and r.query.get("batchId") == "7781"]
    assert len(fetches) == 1
    events = channels.tenant.get(f"/partner/v1/orders/{order_id}/timeline?limit=50").json()["data"]["events"]
    assert any(e["type"] == "tracking_received" and e["details"]["via"] == "hook:shipstation" for e in events)

    # ShipStation redelivering the same notification: nothing is fetched again.
    again = notify(channels, connection_id, resource)
    assert again.json()["data"]["queued"] is False  # type: ignore[attr-defined]
    work()
    assert len([r for r in fake.requests if r.path == "/shipments"]) == 1


def test_a_resource_url_on_another_host_is_refused_before_anything_is_queued(
    channels: Channels, shipstation: tuple[FakeShipStation, str, str, str], work: Callable[[], int]
) -> None:
    fake, url, connection_id, order_id = shipstation
    response = notify(channels, connection_id, "https://evil.example/shipments?batchId=1")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json() == {"detail": f"resource_url is not on {url}; refusing to follow it"}  # type: ignore[attr-defined]
    work()
    assert [r for r in fake.requests if r.path == "/shipments"] == []
    assert channels.order(order_id)["status"] == "processing"


def test_unknown_connections_and_bad_bodies(
    channels: Channels, shipstation: tuple[FakeShipStation, str, str, str]
) -> None:
    _fake, url, connection_id, _order = shipstation
    missing = notify(channels, "00000000-0000-0000-0000-000000000000", f"{url}/shipments")
    assert missing.status_code == 404  # type: ignore[attr-defined]
    not_json = channels.tenant.client.post(
        f"/hooks/shipstation/{connection_id}", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    empty = channels.tenant.client.post(
        f"/hooks/shipstation/{connection_id}", json={"resource_type": "SHIP_NOTIFY"}
    )
    assert empty.status_code == 422
    assert empty.json() == {"detail": "SHIP_NOTIFY body needs a resource_url and a resource_type"}
