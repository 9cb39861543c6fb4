"""Downstream inventory sync: queue a push of each changed SKU's available units to each sales channel.

A push is a row (its outcome recorded when the `inventory.push` job has run) written together with the
job that sends it. "Changed" means the units differ from the newest push to that channel (or the newest
one failed, or there was none). A channel receives its own client's stock: the sub-client it was
created for, or the account's own, summed over every location. Which channels take pushes is the
connector registry's `inventory` capability (Shopify and WooCommerce today).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.connections.models import Connection
from warpware.connectors.base import SkuPushResult
from warpware.connectors.registry import takes_inventory
from warpware.inventory import repository
from warpware.inventory.models import InventoryPush
from warpware.kit.clock import utcnow
from warpware.worker import enqueue

PUSH_JOB = "inventory.push"
PUSHES_PER_JOB = 100
# A rate-limited or unreachable channel is tried again with the worker's backoff, then recorded failed.
PUSH_MAX_ATTEMPTS = 8

# A SKU the channel does not sell is stored as `skipped` with this prefix on its detail (the stored
# statuses predate the outcome) and shown as `not_found`. Like a skipped push, and unlike a failed one,
# it is queued again only when the SKU's units change.
NOT_FOUND_PREFIX = "not_found: "
PUSH_STATUSES = ("queued", "pushed", "not_found", "failed", "skipped", "superseded")


def stored_outcome(result: SkuPushResult) -> tuple[str, str | None]:
    """(status, detail) to store for a connector's per-SKU result."""
    if result.outcome == "pushed":
        return "pushed", None
    if result.outcome == "not_found":
        return "skipped", NOT_FOUND_PREFIX + (result.detail or "the channel has no product with this SKU")
    return "failed", (result.detail or "the channel refused this SKU")[:2000]


@dataclass(frozen=True)
class PushView:
    status: str
    detail: str | None


def public_outcome(push: InventoryPush) -> PushView:
    """The status and detail a push shows on the API."""
    if push.status == "skipped" and push.detail and push.detail.startswith(NOT_FOUND_PREFIX):
        return PushView("not_found", push.detail.removeprefix(NOT_FOUND_PREFIX))
    return PushView(push.status, push.detail)


def _channels(session: Session, principal: Principal) -> list[Connection]:
    """The storefronts the caller sees: channels whose connector can set listed stock. Order-intake
    channels (EDI, CSV, email) list no stock and get no pushes."""
    channels = [
        c
        for c in repository.all_connections(session, principal.account_id)
        if c.deleted_at is None and takes_inventory(c.type)
    ]
    if principal.sub_client_id is not None:
        channels = [c for c in channels if c.sub_client_id == principal.sub_client_id]
    return channels


def visible_channel_ids(session: Session, principal: Principal) -> list[uuid.UUID] | None:
    """The channels whose pushes the caller may read: None for an account-wide key (all of them)."""
    if principal.sub_client_id is None:
        return None
    return [
        c.id
        for c in repository.all_connections(session, principal.account_id)
        if c.sub_client_id == principal.sub_client_id
    ]


def push_read(push: InventoryPush) -> dict[str, Any]:
    view = public_outcome(push)
    return {
        "id": push.id,
        "channel_id": push.connection_id,
        "sku": push.sku,
        "quantity": push.quantity,
        "status": view.status,
        "detail": view.detail,
        "attempts": push.attempts,
        "queued_at": push.created_at,
        "finished_at": push.finished_at,
    }


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
                max_attempts=PUSH_MAX_ATTEMPTS,
            )
        queued += len(ids)
    return queued
