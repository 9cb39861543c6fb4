"""The timeline is append-only in the database itself, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DatabaseError

from tests.conftest import Tenant, order_body
from warpware.db import Database
from warpware.orders.models import OrderEvent


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_events_cannot_be_changed_or_deleted(db: Database, tenant: Tenant, statement: str) -> None:
    order_id = tenant.post("/partner/v1/orders", json=order_body()).json()["data"]["id"]
    query = update(OrderEvent).values(message="rewritten") if statement == "update" else delete(OrderEvent)
    with pytest.raises(DatabaseError, match="immutable"), db.writing() as session:
        session.execute(query.where(text("1 = 1")))
    events = tenant.get(f"/partner/v1/orders/{order_id}/timeline").json()["data"]["events"]
    assert [e["message"] for e in events] == ["Order received from api"]
