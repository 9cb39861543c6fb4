"""The orders list (tabs with counts, search, filters, keyset pages) and the order detail, over HTTP."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.dashboard.conftest import Shop, sign_in


def _ids(html: str) -> list[str]:
    """External ids of the listed orders, in page order."""
    return re.findall(r'<td data-label="Order"><a href="/orders/[0-9a-f-]{36}">([^<]+)</a>', html)


def _counts(html: str) -> dict[str, int]:
    return {
        key: int(n)
        for key, n in re.findall(r'data-tab="([a-z]+)"[^>]*>[^<]*<span class="count">(\d+)</span>', html)
    }


def test_tabs_count_and_filter_by_status(shop: Shop, browser_client: TestClient) -> None:
    first = shop.push("T-1")
    shop.push("T-2")
    shop.push("T-3")
    csrf = sign_in(browser_client, shop.user("operator"))
    browser_client.post(f"/orders/{first['id']}/hold", data={"csrf_token": csrf})

    page = browser_client.get("/orders").text
    assert _ids(page) == ["T-3", "T-2", "T-1"]  # newest first
    assert _counts(page) == {
        "all": 3,
        "pending": 2,
        "ready": 0,
        "processing": 0,
        "shipped": 0,
        "delivered": 0,
        "hold": 1,
        "failed": 0,
        "cancelled": 0,
        "archived": 0,
    }
    assert _ids(browser_client.get("/orders?status=hold").text) == ["T-1"]
    assert _ids(browser_client.get("/orders?status=pending").text) == ["T-3", "T-2"]
    assert _ids(browser_client.get("/orders?status=failed").text) == []


def test_search_by_external_id_email_name_sku_and_tracking(shop: Shop, browser_client: TestClient) -> None:
    shop.push(
        "S-1", customer_email="Ann@Example.com", line_items=[{"sku": "RED-MUG", "quantity": 1, "price": 5}]
    )
    shop.push(
        "S-2",
        customer_email="bob@example.com",
        customer_name="Bob Stone",
        shipping_address={
            "name": "Bob Stone",
            "address1": "1 Road",
            "city": "Austin",
            "state": "TX",
            "zip": "73301",
        },
        line_items=[
            {"sku": "BLUE-MUG", "quantity": 1, "price": 5},
            {"sku": "RED-MUG", "quantity": 2, "price": 5},
        ],
    )
    shop.push("S-3", customer_email="cy@example.com")
    sign_in(browser_client, shop.user("viewer"))

    def search(term: str) -> list[str]:
        return _ids(browser_client.get("/orders", params={"q": term}).text)

    assert search("S-2") == ["S-2"]
    assert search("ann@example.com") == ["S-1"]  # case-insensitive
    assert search("BOB STONE") == ["S-2"]
    assert search("RED-MUG") == ["S-2", "S-1"]
    assert search("BLUE-MUG") == ["S-2"]
    assert search("nothing-like-it") == []
    page = browser_client.get("/orders", params={"q": "RED-MUG"}).text
    assert _counts(page)["all"] == 2 and _counts(page)["pending"] == 2


def test_search_by_tracking_number(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push("TR-1")
    shop.push("TR-2")
    response = shop.client.patch(
        f"/partner/v1/orders/{order['id']}",
        json={"status": "shipped", "tracking_number": "1Z999AA10123456784", "carrier": "UPS"},
        headers={"Authorization": f"Bearer {shop.key}"},
    )
    assert response.status_code == 200, response.text
    sign_in(browser_client, shop.user("viewer"))
    assert _ids(browser_client.get("/orders", params={"q": "1Z999AA10123456784"}).text) == ["TR-1"]


def test_filters_by_tag_source_connection_and_date(shop: Shop, browser_client: TestClient) -> None:
    shop.push("F-1", tags=["vip"])
    shop.push("F-2", tags=["wholesale"], source="shopify")
    sign_in(browser_client, shop.user("viewer"))
    assert _ids(browser_client.get("/orders?tag=wholesale").text) == ["F-2"]
    assert _ids(browser_client.get("/orders?source=shopify").text) == ["F-2"]
    assert _ids(browser_client.get("/orders?source=api").text) == ["F-1"]
    assert _ids(browser_client.get("/orders?date_from=2000-01-01&date_to=2000-01-02").text) == []
    assert _ids(browser_client.get("/orders?date_from=2000-01-01").text) == ["F-2", "F-1"]
    assert _ids(browser_client.get("/orders?connection=00000000-0000-0000-0000-000000000000").text) == []
    bad = browser_client.get("/orders?date_from=yesterday")
    assert bad.status_code == 200 and "From date must be an ISO 8601 date" in bad.text


def test_keyset_pages(shop: Shop, browser_client: TestClient) -> None:
    response = shop.client.post(
        "/partner/v1/orders/bulk",
        json={
            "orders": [
                {
                    "external_id": f"P-{i:03d}",
                    "line_items": [{"sku": "A", "quantity": 1}],
                    "shipping_address": {
                        "name": "A",
                        "address1": "1",
                        "city": "C",
                        "state": "NY",
                        "zip": "10001",
                    },
                }
                for i in range(60)
            ]
        },
        headers={"Authorization": f"Bearer {shop.key}"},
    )
    assert response.status_code in (200, 201, 207), response.text
    sign_in(browser_client, shop.user("viewer"))
    first = browser_client.get("/orders").text
    first_ids = _ids(first)
    assert len(first_ids) == 50
    next_link = re.search(r'href="(/orders\?[^"]*after=[^"]+)" rel="next"', first)
    assert next_link
    second = browser_client.get(next_link.group(1).replace("&amp;", "&")).text
    second_ids = _ids(second)
    assert len(second_ids) == 10
    assert sorted(first_ids + second_ids) == [f"P-{i:03d}" for i in range(60)]
    assert 'rel="next"' not in second
    assert browser_client.get("/orders?after=garbage").status_code == 200


def test_order_detail_shows_fields_lines_address_and_timeline(shop: Shop, browser_client: TestClient) -> None:
    order = shop.push(
        "D-1",
        customer_email="dee@example.com",
        line_items=[
            {"sku": "SKU-ONE", "quantity": 3, "price": 2.5, "name": "First thing"},
            {"sku": "SKU-TWO", "quantity": 1, "price": 10},
        ],
    )
    sign_in(browser_client, shop.user("viewer"))
    page = browser_client.get(f"/orders/{order['id']}")
    assert page.status_code == 200
    html = page.text
    for text in (
        "Order D-1",
        order["id"],
        "dee@example.com",
        "SKU-ONE",
        "First thing",
        "SKU-TWO",
        "123 Main St",
        "New York",
        "17.50",
        "received",
    ):
        assert text in html, text
