"""Stock committed to orders: held when an order is routed to a warehouse, given back when it is
cancelled, taken off on hand when it ships. Called on every status change of an order.

Each commitment is a row per order line and level, so the hook is idempotent and a re-route moves the
units from the old warehouse to the new one. SKUs without a stock level at the warehouse are not
tracked there (nothing is committed for them).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from warpware.connections.models import Connection
from warpware.inventory import locations, repository
from warpware.inventory.models import InventoryCommitment
from warpware.kit.clock import utcnow
from warpware.orders import repository as orders_repository
from warpware.orders.domain import OrderStatus
from warpware.orders.models import Order
from warpware.products.models import scope_key

FULFILLED = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})
# pipeline.evaluation.TEST_ORDER_TAG: test orders are routed but never sent, so they hold no stock.
TEST_ORDER_TAG = "TEST_ORDER"


def on_status_change(session: Session, order: Order, old: OrderStatus, new: OrderStatus) -> None:
    """ready: commit at the routed connection's location (moving any commitment elsewhere);
    cancelled: release; shipped or delivered: consume. Other changes leave stock alone (a held order
    keeps its units until it is cancelled or routed elsewhere)."""
    if TEST_ORDER_TAG in (order.tags or ()):
        return
    if new is OrderStatus.READY:
        commit(session, order)
    elif new is OrderStatus.CANCELLED:
        _finish(session, repository.active_commitments(session, order.id), consume=False)
    elif new in FULFILLED and old not in FULFILLED:
        _finish(session, repository.active_commitments(session, order.id), consume=True)


# session.info key: ids of orders whose units the caller committed itself in this transaction (brokering
# commits with guarded UPDATEs before routing), so routing them must not commit again.
ALREADY_COMMITTED = "inventory.already_committed"


def commit(session: Session, order: Order) -> None:
    if order.connection_id is None or order.id in session.info.get(ALREADY_COMMITTED, ()):
        return
    connection = session.get(Connection, order.connection_id)
    if connection is None:
        return
    location = locations.location_for_connection(session, connection)
    active = repository.active_commitments(session, order.id)
    if active and all(c.location_id == location.id for c in active):
        return
    _finish(session, active, consume=False)
    wanted: Counter[str] = Counter()
    for line in orders_repository.lines_for(session, [order.id])[order.id]:
        wanted[line.sku] += line.quantity
    levels = repository.levels_at(
        session, order.account_id, scope_key(order.sub_client_id), location.id, wanted
    )
    now = utcnow()
    for sku, level_seq in sorted(levels.items()):
        repository.add_committed(session, level_seq, wanted[sku], now)
    repository.add_commitments(
        session,
        [
            {
                "account_id": order.account_id,
                "order_id": order.id,
                "level_seq": level_seq,
                "location_id": location.id,
                "sku": sku,
                "quantity": wanted[sku],
                "status": "committed",
                "created_at": now,
                "updated_at": now,
            }
            for sku, level_seq in sorted(levels.items())
        ],
    )


def _finish(session: Session, active: list[InventoryCommitment], *, consume: bool) -> None:
    now = utcnow()
    for commitment in active:
        repository.remove_committed(session, commitment.level_seq, commitment.quantity, now, consume=consume)
        commitment.status = "consumed" if consume else "released"
        commitment.updated_at = now


def recommit(session: Session, order: Order) -> None:
    """The order's lines were edited: give back what it holds and commit the new lines at the same place.

    Only an order that holds units now is touched (a pending one commits when it is routed)."""
    if TEST_ORDER_TAG in (order.tags or ()):
        return
    active = repository.active_commitments(session, order.id)
    if not active:
        return
    _finish(session, active, consume=False)
    session.flush()
    commit(session, order)
