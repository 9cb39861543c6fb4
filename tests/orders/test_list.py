"""GET /orders: filters, page mode, cursor mode (stable under concurrent inserts), stats, timeline limits."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import Tenant, order_body


def _bulk(tenant: Tenant, prefix: str, count: int, **overrides: object) -> list[str]:
    ids: list[str] = []
    for start in range(0, count, 100):
        items = [order_body(f"{prefix}-{i:05d}", **overrides) for i in range(start, min(count, start + 100))]
        data = tenant.post("/partner/v1/orders/bulk", json={"orders": items}).json()["data"]
        ids.extend(d["id"] for d in data)
    return ids


def test_newest_first_page_mode(tenant: Tenant) -> None:
    ids = _bulk(tenant, "P", 7)
    response = tenant.get("/partner/v1/orders?page=2&per_page=3")
    body = response.json()
    assert [o["id"] for o in body["data"]] == list(reversed(ids))[3:6]
    assert body["meta"] == {
        "page": 2,
        "per_page": 3,
        "total": 7,
        "total_pages": 3,
        "client_id": f"{tenant.account}:warehouse-east",
    }


def test_default_per_page_is_50_and_max_100(tenant: Tenant) -> None:
    assert tenant.get("/partner/v1/orders").json()["meta"]["per_page"] == 50
    response = tenant.get("/partner/v1/orders?per_page=101")
    assert response.status_code == 400
    assert response.json() == {"detail": "per_page must be between 1 and 100 (got 101)"}
    assert tenant.get("/partner/v1/orders?page=0").status_code == 400
    bad = tenant.get("/partner/v1/orders?page=abc")
    assert bad.status_code == 400 and "page" in bad.json()["detail"]


def test_filters(tenant: Tenant) -> None:
    [a] = _bulk(tenant, "FA", 1, tags=["vip"])
    [b] = _bulk(tenant, "FB", 1, tags=["rush"])
    tenant.patch(f"/partner/v1/orders/{b}", json={"status": "shipped", "tracking_number": "1ZTRACK"})

    def ids(query: str) -> list[str]:
        response = tenant.get(f"/partner/v1/orders?{query}")
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["data"]]

    assert ids("tag=vip") == [a]
    assert ids("tag=rush") == [b]
    assert ids("status=shipped") == [b]
    assert ids("status=pending") == [a]
    assert ids("status=pending,shipped") == [b, a]
    assert ids("external_id=FA-00000") == [a]
    assert ids("tracking_number=1ZTRACK") == [b]
    assert ids("date_from=2000-01-01&date_to=2999-12-31") == [b, a]
    assert ids("date_to=2000-01-01") == []
    assert ids("updated_since=2999-01-01T00:00:00Z") == []
    assert ids("updated_since=2000-01-01T00:00:00Z") == [b, a]
    assert tenant.get("/partner/v1/orders?status=lost").status_code == 400
    bad_date = tenant.get("/partner/v1/orders?date_from=yesterday")
    assert bad_date.status_code == 400
    assert bad_date.json()["detail"].startswith("date_from must be an ISO 8601 date")


def test_cursor_walk_visits_every_order_once(tenant: Tenant) -> None:
    ids = _bulk(tenant, "C", 23)
    seen: list[str] = []
    response = tenant.get("/partner/v1/orders?after=&per_page=5").json()
    pages = 0
    while True:
        pages += 1
        assert "total" not in response["meta"]
        assert response["meta"]["cursor_mode"] is True
        seen.extend(o["id"] for o in response["data"])
        if not response["meta"]["has_more"]:
            assert response["meta"]["next_cursor"] is None
            break
        response = tenant.get(f"/partner/v1/orders?after={response['meta']['next_cursor']}&per_page=5").json()
    assert seen == list(reversed(ids))
    assert pages == 5


def test_cursor_stable_while_orders_arrive(tenant: Tenant) -> None:
    existing = _bulk(tenant, "S", 60)
    stop = threading.Event()
    inserted: list[str] = []

    def writer() -> None:
        n = 0
        while not stop.is_set() and n < 200:
            response = tenant.post("/partner/v1/orders", json=order_body(f"NEW-{n}"))
            inserted.append(response.json()["data"]["id"])
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen: list[str] = []
        cursor = ""
        while True:
            body = tenant.get(f"/partner/v1/orders?after={cursor}&per_page=7").json()
            seen.extend(o["id"] for o in body["data"])
            if not body["meta"]["has_more"]:
                break
            cursor = body["meta"]["next_cursor"]
    finally:
        stop.set()
        thread.join()
    old = [i for i in seen if i in set(existing)]
    assert old == list(reversed(existing))
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("cursor", ["garbage", "eyJ2IjoxfQ", "!!!", "eyJ2IjoxLCJzIjoiYSJ9"])
def test_malformed_cursor_is_400(tenant: Tenant, cursor: str) -> None:
    response = tenant.get(f"/partner/v1/orders?after={cursor}")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Malformed cursor: pass the next_cursor value from a previous response"
    }


def test_stats(tenant: Tenant) -> None:
    ids = _bulk(tenant, "ST", 4)
    tenant.patch(f"/partner/v1/orders/{ids[0]}", json={"status": "shipped"})
    tenant.post(f"/partner/v1/orders/{ids[1]}/cancel")
    body = tenant.get("/partner/v1/orders/stats").json()
    assert body["data"] == {
        "total": 4,
        "by_status": {
            "pending": 2,
            "ready": 0,
            "processing": 0,
            "shipped": 1,
            "delivered": 0,
            "hold": 0,
            "failed": 0,
            "cancelled": 1,
        },
    }
    assert body["meta"] == {"client_id": f"{tenant.account}:warehouse-east"}
    assert tenant.get("/partner/v1/orders/stats?date_from=2999-01-01").json()["data"]["total"] == 0


def test_timeline_limit(tenant: Tenant) -> None:
    [order_id] = _bulk(tenant, "TL", 1)
    for n in range(5):
        tenant.patch(f"/partner/v1/orders/{order_id}", json={"note": f"note {n}"})
    body = tenant.get(f"/partner/v1/orders/{order_id}/timeline?limit=2").json()["data"]
    assert body["event_count"] == 6
    assert [e["message"] for e in body["events"]] == ["Order updated: note", "Order updated: note"]
    assert [e["details"]["note"]["new"] for e in body["events"]] == ["note 4", "note 3"]
    assert tenant.get(f"/partner/v1/orders/{order_id}/timeline?limit=201").status_code == 400
    assert tenant.get(f"/partner/v1/orders/{order_id}/timeline?limit=0").status_code == 400
    by_external = tenant.get("/partner/v1/orders/TL-00000/timeline").json()["data"]
    assert by_external["order_id"] == order_id
