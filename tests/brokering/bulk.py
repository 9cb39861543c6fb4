"""Many orders and locations at once, written with bulk inserts (the API would take minutes for 10,000).

Used by the large-run and concurrency tests and by bench/bench_brokering.py. The rows are what the API
and the pipeline would have written: destination connections with their locations and brokering
attributes, products and stock levels, and pending orders already approved in the brokering queue.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from warpware.accounts.models import Account
from warpware.accounts.service import create_api_key
from warpware.brokering.geo import centroid
from warpware.brokering.models import BrokeringLocation, BrokeringSettings, OrderBrokering
from warpware.connections.models import Connection
from warpware.db import Database
from warpware.inventory.models import InventoryCommitment, InventoryLevel, Location
from warpware.kit.clock import utcnow
from warpware.orders.models import Order, OrderEvent, OrderLine
from warpware.products.models import Product
from warpware.worker import Job, JobStatus


@dataclass
class Seeded:
    account: str
    account_id: uuid.UUID
    key: str
    order_ids: list[uuid.UUID]


def _zips(rng: random.Random, count: int) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        candidate = f"{rng.randrange(1000, 99999):05d}"
        if centroid(candidate) is not None:
            found.append(candidate)
    return found


def seed(
    db: Database,
    *,
    orders: int,
    locations: int,
    skus: int,
    stock_share: float = 0.6,
    max_on_hand: int = 30,
    max_lines: int = 3,
    max_quantity: int = 3,
    allow_split: bool = False,
    seed_value: int = 7,
    chunk: int = 2000,
) -> Seeded:
    rng = random.Random(seed_value)
    slug = f"bulk-{uuid.uuid4().hex[:10]}"
    with db.writing() as session:
        key = create_api_key(
            session, account_slug=slug, sub_client_slug=None, name="bulk", scopes="read,write"
        ).key
    now = utcnow()
    with db.writing() as session:
        account_id = session.scalars(sa.select(Account.id).where(Account.slug == slug)).one()
        session.add(
            BrokeringSettings(
                account_id=account_id,
                enabled=True,
                ranking=["fewest_splits", "distance", "priority"],
                allow_split=allow_split,
                max_shipments=3,
                safety_stock=0,
                schedule_kind="off",
                timezone="UTC",
                unfillable_cancel_days=7,
                batch_size=500,
                updated_at=now,
            )
        )
        connection_rows, location_rows, attribute_rows = [], [], []
        for index, zip_code in enumerate(_zips(rng, locations)):
            connection_id, location_id = uuid.uuid4(), uuid.uuid4()
            connection_rows.append(
                {
                    "id": connection_id,
                    "account_id": account_id,
                    "name": f"Site {index}",
                    "type": "sandbox",
                    "settings": {"base_url": "http://127.0.0.1:9", "facility_id": index + 1},
                    "credentials_encrypted": "",
                    "is_default": False,
                    "push_enabled": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            location_rows.append(
                {
                    "id": location_id,
                    "account_id": account_id,
                    "connection_id": connection_id,
                    "name": f"Site {index}",
                    "platform": "sandbox",
                    "platform_location_id": str(index + 1),
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            attribute_rows.append(
                {
                    "location_id": location_id,
                    "account_id": account_id,
                    "kind": rng.choice(["warehouse", "store"]),
                    "zip": zip_code,
                    "priority": rng.randrange(1, 10) * 10,
                    "daily_capacity": None,
                    "safety_stock": None,
                    "enabled": True,
                    "updated_at": now,
                }
            )
        session.execute(sa.insert(Connection), connection_rows)
        session.execute(sa.insert(Location), location_rows)
        session.execute(sa.insert(BrokeringLocation), attribute_rows)
        sku_names = [f"SKU-{i:04d}" for i in range(skus)]
        product_ids = {sku: uuid.uuid4() for sku in sku_names}
        session.execute(
            sa.insert(Product),
            [
                {
                    "id": product_ids[sku],
                    "account_id": account_id,
                    "sub_client_id": None,
                    "scope_key": "-",
                    "sku": sku,
                    "name": sku,
                    "platform": "api",
                    "created_at": now,
                    "updated_at": now,
                }
                for sku in sku_names
            ],
        )
        levels = [
            {
                "account_id": account_id,
                "sub_client_id": None,
                "scope_key": "-",
                "product_id": product_ids[sku],
                "sku": sku,
                "location_id": loc["id"],
                "on_hand": rng.randrange(0, max_on_hand + 1),
                "committed": 0,
                "created_at": now,
                "updated_at": now,
            }
            for loc in location_rows
            for sku in sku_names
            if rng.random() < stock_share
        ]
        for start in range(0, len(levels), chunk):
            session.execute(sa.insert(InventoryLevel), levels[start : start + chunk])
    order_zips = _zips(rng, 500)
    order_ids: list[uuid.UUID] = []
    for start in range(0, orders, chunk):
        order_rows, line_rows, state_rows, event_rows = [], [], [], []
        for number in range(start, min(orders, start + chunk)):
            order_id = uuid.uuid4()
            order_ids.append(order_id)
            chosen = rng.sample(sku_names, rng.randrange(1, max_lines + 1))
            lines = [(sku, rng.randrange(1, max_quantity + 1)) for sku in chosen]
            created = now + dt.timedelta(microseconds=number)
            order_rows.append(
                {
                    "id": order_id,
                    "account_id": account_id,
                    "sub_client_id": None,
                    "client_ref": slug,
                    "external_id": f"BULK-{number}",
                    "source": "api",
                    "status": "pending",
                    "dedup_key": f"-|BULK-{number}",
                    "shipping_address": {
                        "name": "Bulk Buyer",
                        "address1": "1 Main St",
                        "city": "X",
                        "state": "NY",
                        "zip": rng.choice(order_zips),
                        "country": "US",
                    },
                    "order_total": Decimal(10 * sum(q for _, q in lines)),
                    "line_count": len(lines),
                    "tags": [],
                    "meta": {},
                    "released_hold_rules": [],
                    "retry_count": 0,
                    "brokering_queue": "brokering",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            line_rows += [
                {
                    "order_id": order_id,
                    "account_id": account_id,
                    "position": i,
                    "sku": sku,
                    "quantity": qty,
                    "price": Decimal(10),
                }
                for i, (sku, qty) in enumerate(lines)
            ]
            state_rows.append(
                {
                    "order_id": order_id,
                    "account_id": account_id,
                    "order_type": "standard",
                    "approved_at": created,
                    "approved_by": "bulk",
                    "excluded_location_ids": [],
                    "split_parent": False,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            event_rows.append(
                {
                    "order_id": order_id,
                    "account_id": account_id,
                    "source": "lifecycle",
                    "type": "received",
                    "component": "bulk",
                    "message": "Order received from api",
                    "details": {},
                    "occurred_at": created,
                }
            )
        with db.writing() as session:
            session.execute(sa.insert(Order), order_rows)
            session.execute(sa.insert(OrderLine), line_rows)
            session.execute(sa.insert(OrderBrokering), state_rows)
            session.execute(sa.insert(OrderEvent), event_rows)
    return Seeded(slug, account_id, key, order_ids)


def stock_consistency(db: Database, account_id: uuid.UUID) -> list[dict[str, Any]]:
    """Levels where committed > on hand, or committed differs from the active commitment rows."""
    with db.reading() as session:
        committed_rows = dict(
            session.execute(
                sa.select(InventoryCommitment.level_seq, sa.func.sum(InventoryCommitment.quantity))
                .where(
                    InventoryCommitment.account_id == account_id, InventoryCommitment.status == "committed"
                )
                .group_by(InventoryCommitment.level_seq)
            ).all()
        )
        bad = []
        for seq, on_hand, committed in session.execute(
            sa.select(InventoryLevel.seq, InventoryLevel.on_hand, InventoryLevel.committed).where(
                InventoryLevel.account_id == account_id
            )
        ):
            if committed > on_hand or committed != int(committed_rows.get(seq, 0)):
                bad.append(
                    {
                        "seq": seq,
                        "on_hand": on_hand,
                        "committed": committed,
                        "commitments": committed_rows.get(seq, 0),
                    }
                )
        return bad


def routing_counts(db: Database, account_id: uuid.UUID) -> dict[str, int]:
    """Orders per queue/route, and how many `brokered` events each order has at most."""
    with db.reading() as session:
        # Orders with a connection: whole orders and the shipments (child orders) of split ones.
        with_connection = session.scalar(
            sa.select(sa.func.count()).where(Order.account_id == account_id, Order.connection_id.is_not(None))
        )
        split_parents = session.scalar(
            sa.select(sa.func.count()).where(
                OrderBrokering.account_id == account_id, OrderBrokering.split_parent.is_(True)
            )
        )
        unfillable = session.scalar(
            sa.select(sa.func.count()).where(
                Order.account_id == account_id, Order.brokering_queue == "unfillable"
            )
        )
        waiting = session.scalar(
            sa.select(sa.func.count()).where(
                Order.account_id == account_id, Order.brokering_queue == "brokering"
            )
        )
        per_order = (
            sa.select(OrderEvent.order_id, sa.func.count().label("n"))
            .where(OrderEvent.account_id == account_id, OrderEvent.type == "brokered")
            .group_by(OrderEvent.order_id)
            .subquery()
        )
        most = session.scalar(sa.select(sa.func.max(per_order.c.n)))
        brokered = session.scalar(sa.select(sa.func.count()).select_from(per_order))
    return {
        "brokered_orders": int(brokered or 0),
        "max_brokered_per_order": int(most or 0),
        "with_connection": int(with_connection or 0),
        "split_parents": int(split_parents or 0),
        "unfillable": int(unfillable or 0),
        "waiting": int(waiting or 0),
    }


def discard_dispatches(db: Database, account_id: uuid.UUID) -> None:
    """Cancel the queued dispatch jobs of the account's orders: their connections point nowhere, and the
    tests that run jobs next in this database must not send 10,000 orders to them."""
    with db.writing() as session:
        keys = [
            f"order:{i}" for i in session.scalars(sa.select(Order.id).where(Order.account_id == account_id))
        ]
        for start in range(0, len(keys), 1000):
            session.execute(
                sa.update(Job)
                .where(
                    Job.status == JobStatus.QUEUED.value,
                    Job.name == "order.dispatch",
                    Job.ordering_key.in_(keys[start : start + 1000]),
                )
                .values(status=JobStatus.CANCELLED.value, finished_at=utcnow(), updated_at=utcnow())
            )
