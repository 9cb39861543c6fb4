"""A run over 10,000 orders and 50 locations, and two runs at once over the same orders and stock."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.brokering.bulk import discard_dispatches, routing_counts, seed, stock_consistency
from tests.conftest import settings_for
from warpware.app import HANDLER_MODULES, create_app
from warpware.db import Database
from warpware.worker import Worker

# Load tests: in the suite (make test runs slow tests too), selectable with -m slow / -m "not slow".
pytestmark = pytest.mark.slow


def _post_run(client: TestClient, key: str) -> str:
    response = client.post("/partner/v1/brokering/runs", json={}, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 202, response.text
    return str(response.json()["data"]["id"])


def _get_run(client: TestClient, key: str, run_id: str) -> dict[str, Any]:
    response = client.get(f"/partner/v1/brokering/runs/{run_id}", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def _run_worker(db: Database) -> None:
    # Only brokering runs: the 10,000 dispatches they queue are the pipeline's business, tested elsewhere.
    Worker(
        db, concurrency=1, poll_interval=0.01, handler_modules=HANDLER_MODULES, job_names={"brokering.run"}
    ).run_until_idle()


def test_a_run_over_10000_orders_and_50_locations(db: Database, client: TestClient) -> None:
    seeded = seed(db, orders=10_000, locations=50, skus=200)
    run_id = _post_run(client, seeded.key)
    try:
        _run_worker(db)
    finally:
        discard_dispatches(db, seeded.account_id)
    run = _get_run(client, seeded.key, run_id)
    assert run["status"] == "finished", run
    assert run["orders_considered"] == 10_000
    assert run["routed"] + run["moved_to"]["unfillable"] == 10_000
    assert run["routed"] > 5_000 and run["moved_to"]["unfillable"] > 0  # the data leaves some unfillable
    counts = routing_counts(db, seeded.account_id)
    assert counts == {
        "brokered_orders": run["routed"],
        "max_brokered_per_order": 1,
        "with_connection": run["routed"],
        "split_parents": 0,
        "unfillable": run["moved_to"]["unfillable"],
        "waiting": 0,
    }
    assert stock_consistency(db, seeded.account_id) == []
    queues = client.get("/partner/v1/brokering/queues", headers={"Authorization": f"Bearer {seeded.key}"})
    assert queues.json()["data"]["unfillable"] == run["moved_to"]["unfillable"]


def test_concurrent_runs_never_promise_the_same_unit_twice(pg_db: Database) -> None:
    # Scarce stock (at most 4 units of 20 SKUs at each of 10 locations) wanted by 2,000 orders.
    seeded = seed(
        pg_db, orders=2_000, locations=10, skus=20, stock_share=0.8, max_on_hand=4, allow_split=True
    )
    with TestClient(create_app(settings_for(pg_db), database=pg_db)) as client:
        first, second = _post_run(client, seeded.key), _post_run(client, seeded.key)
        workers = [threading.Thread(target=_run_worker, args=(pg_db,)) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        discard_dispatches(pg_db, seeded.account_id)
        runs = [_get_run(client, seeded.key, first), _get_run(client, seeded.key, second)]
    assert [r["status"] for r in runs] == ["finished", "finished"]
    assert stock_consistency(pg_db, seeded.account_id) == []
    counts = routing_counts(pg_db, seeded.account_id)
    # Each order was brokered once, by one of the runs, and every order ended routed or unfillable.
    assert counts["max_brokered_per_order"] == 1
    assert counts["brokered_orders"] == sum(r["routed"] for r in runs)
    assert counts["brokered_orders"] + counts["unfillable"] == 2_000
    assert sum(r["split"] for r in runs) == counts["split_parents"]
