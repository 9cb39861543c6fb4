"""The adjustment guard under real concurrency: threads against a real uvicorn server, on both databases."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from tests.conftest import new_key, settings_for
from tests.servers import thread_server
from warpware.accounts.models import Integration
from warpware.app import create_app
from warpware.db import Database
from warpware.inventory.models import InventoryAdjustment, InventoryLevel


def test_fifty_concurrent_removals_of_one_from_thirty(db: Database) -> None:
    _, key, key_id = new_key(db)
    headers = {"Authorization": f"Bearer {key}"}
    with thread_server(create_app(settings_for(db), database=db)) as base:
        created = httpx.post(
            f"{base}/partner/v1/inventory/levels",
            headers=headers,
            timeout=30,
            json={"sku": "RACE-SKU", "quantity_on_hand": 30, "warehouse": "Race DC"},
        )
        assert created.status_code == 201, created.text

        def remove_one(i: int) -> httpx.Response:
            return httpx.post(
                f"{base}/partner/v1/inventory/adjust",
                headers=headers,
                timeout=60,
                json={"sku": "RACE-SKU", "adjustment": -1, "reason": f"pick {i}"},
            )

        with ThreadPoolExecutor(50) as pool:
            responses = list(pool.map(remove_one, range(50)))
        final = httpx.get(f"{base}/partner/v1/inventory?sku=RACE-SKU", headers=headers, timeout=30).json()
    statuses = [r.status_code for r in responses]
    assert (statuses.count(200), statuses.count(422)) == (30, 20)
    # Every success saw a distinct level: 30 → 29, 29 → 28, ..., 1 → 0.
    assert sorted(r.json()["data"]["previous_quantity"] for r in responses if r.status_code == 200) == list(
        range(1, 31)
    )
    assert [r.json()["data"]["new_quantity"] for r in responses if r.status_code == 200].count(0) == 1
    assert final["data"][0]["quantity_on_hand"] == 0 and final["data"][0]["quantity_available"] == 0
    with db.reading() as session:
        integration = session.get(Integration, uuid.UUID(key_id))
        assert integration is not None
        account_id = integration.account_id
        [level] = session.scalars(
            select(InventoryLevel).where(
                InventoryLevel.sku == "RACE-SKU", InventoryLevel.account_id == account_id
            )
        ).all()
        audited = session.scalar(
            select(func.count())
            .select_from(InventoryAdjustment)
            .where(
                InventoryAdjustment.sku == "RACE-SKU",
                InventoryAdjustment.kind == "adjust",
                InventoryAdjustment.actor == f"api:{key_id}",
            )
        )
    assert (level.on_hand, level.committed) == (0, 0)
    assert audited == 30  # one audit row per success, none for the refusals
