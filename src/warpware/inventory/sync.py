"""Downstream inventory sync: queue a push of each changed SKU's available units to each sales channel.

A push is a row (its outcome recorded when the `inventory.push` job has run) written together with the
job that sends it. "Changed" means the units differ from the newest push to that channel (or the newest
one failed, or there was none). A channel receives its own client's stock: the sub-client it was
created for, or the account's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.connections.models import Connection
from warpware.inventory import repository
from warpware.kit.clock import utcnow
from warpware.worker import enqueue

PUSH_JOB = "inventory.push"
PUSHES_PER_JOB = 100


class InventoryPublisher(Protocol):
    """A sales channel whose listed stock WarpWare can set (Shopify Inventory Levels, WooCommerce stock)."""

    def set_available(self, sku: str, quantity: int) -> None:
        """Make the channel show `quantity` units of `sku`; raise a ConnectorError when it cannot."""
        ...


# Connection type → the publisher for one connection. None of our channel connectors has an inventory
# API yet, so pushes to them are recorded as skipped with the reason.
PUBLISHERS: dict[str, Callable[[Connection], InventoryPublisher]] = {}
# Sales channels that list stock: they get pushes (recorded as skipped until a publisher exists).
STOREFRONT_TYPES = frozenset({"shopify", "woocommerce"})


def _channels(session: Session, principal: Principal) -> list[Connection]:
    """The storefronts the caller sees. Order-intake channels (EDI, CSV, email) list no stock."""
    targets = STOREFRONT_TYPES | set(PUBLISHERS)
    channels = [
        c
        for c in repository.all_connections(session, principal.account_id)
        if c.deleted_at is None and c.type in targets
    ]
    if principal.sub_client_id is not None:
        channels = [c for c in channels if c.sub_client_id == principal.sub_client_id]
    return channels


def queue_sync(session: Session, principal: Principal) -> int:
    """Queue the pushes of every changed level to every sales channel the caller sees; how many."""
    now = utcnow()
    queued = 0
    for channel in _channels(session, principal):
        current = repository.available_per_product(session, principal.account_id, channel.sub_client_id)
        last = repository.last_pushes(session, channel.id)
        rows = []
        for product_id, (sku, available) in sorted(current.items(), key=lambda item: item[1][0]):
            quantity = max(available, 0)  # a channel cannot list an oversold SKU below zero
            previous = last.get(product_id)
            if previous is not None and previous[0] == quantity and previous[1] != "failed":
                continue
            rows.append(
                {
                    "account_id": principal.account_id,
                    "connection_id": channel.id,
                    "product_id": product_id,
                    "sku": sku,
                    "quantity": quantity,
                    "status": "queued",
                    "detail": None,
                    "attempts": 0,
                    "created_at": now,
                    "finished_at": None,
                }
            )
        ids = repository.add_pushes(session, rows)
        for start in range(0, len(ids), PUSHES_PER_JOB):
            # One channel's pushes run one job at a time, in order: a later level never lands first.
            enqueue(
                session,
                PUSH_JOB,
                {"push_ids": ids[start : start + PUSHES_PER_JOB]},
                ordering_key=f"inventory:{channel.id}",
            )
        queued += len(ids)
    return queued
