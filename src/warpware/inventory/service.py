"""Stock operations over a session: list, set, adjust, settings. They never commit: the request does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from warpware.accounts.auth import actor_for
from warpware.accounts.domain import Principal
from warpware.errors import NotFound, Unprocessable
from warpware.inventory import locations, repository
from warpware.inventory.schemas import InventoryAdjust, LevelSet
from warpware.kit.clock import utcnow
from warpware.kit.pagination import PageRequest
from warpware.products import service as products_service
from warpware.products.models import scope_key


def list_levels(
    session: Session, principal: Principal, filters: repository.LevelFilters, paging: PageRequest
) -> tuple[list[Any], int | None, int | None]:
    """(rows of (level, product name, location, status), total in page mode, next cursor seq)."""
    if paging.cursor_mode:
        rows = repository.list_levels_after(
            session, principal, filters, before_seq=paging.after, limit=paging.per_page + 1
        )
        if len(rows) > paging.per_page:
            rows = rows[: paging.per_page]
            return rows, None, rows[-1][0].seq
        return rows, None, None
    rows, total = repository.list_levels_page(
        session, principal, filters, page=paging.page, per_page=paging.per_page
    )
    return rows, total, None


@dataclass(frozen=True)
class Adjusted:
    sku: str
    previous_quantity: int
    adjustment: int
    new_quantity: int
    reason: str | None


def _owner(principal: Principal) -> str:
    return scope_key(principal.sub_client_id)


def _location_of_sku(session: Session, principal: Principal, sku: str, warehouse: str | None) -> uuid.UUID:
    """The location to adjust: the named warehouse, else the only one stocking the SKU."""
    if warehouse is not None:
        return locations.resolve(session, principal, warehouse, create=False).id
    stocked = repository.level_locations(session, principal.account_id, _owner(principal), sku)
    if not stocked:
        raise NotFound(f"SKU {sku} not found")
    if len(stocked) > 1:
        raise Unprocessable(f"SKU {sku} is stocked at {len(stocked)} warehouses; name one in warehouse")
    return stocked[0]


def adjust(session: Session, principal: Principal, body: InventoryAdjust) -> Adjusted:
    """A signed change to the units available, in one guarded UPDATE, with its audit row.

    404: the caller has no stock of the SKU (at that warehouse); 422: it would leave fewer than 0 available.
    """
    owner = _owner(principal)
    location_id = _location_of_sku(session, principal, body.sku, body.warehouse)
    now = utcnow()
    after = repository.adjust(
        session, principal.account_id, owner, body.sku, location_id, body.adjustment, now=now
    )
    if after is None:
        if location_id not in repository.level_locations(session, principal.account_id, owner, body.sku):
            where = f" at {body.warehouse}" if body.warehouse else ""
            raise NotFound(f"SKU {body.sku} not found{where}")
        raise Unprocessable(
            f"Adjustment of {body.adjustment} would leave SKU {body.sku} with negative inventory",
            extra={"sku": body.sku},
        )
    level_seq, on_hand, committed = after
    new_quantity = on_hand - committed
    previous = new_quantity - body.adjustment
    repository.add_adjustment(
        session,
        account_id=principal.account_id,
        level_seq=level_seq,
        sku=body.sku,
        location_id=location_id,
        kind="adjust",
        adjustment=body.adjustment,
        previous_quantity=previous,
        new_quantity=new_quantity,
        reason=body.reason,
        integration_id=principal.integration_id,
        actor=actor_for(principal),
        created_at=now,
    )
    _announce(session, principal, body.sku, previous, new_quantity, reason=body.reason)
    return Adjusted(body.sku, previous, body.adjustment, new_quantity, body.reason)


def _announce(session: Session, principal: Principal, sku: str, previous: int, available: int, *,
              reason: str | None) -> None:
    """inventory.updated for every change; inventory.low_stock when a SKU crosses into low stock.

    Written to the webhook outbox in this transaction, like order events.
    """
    from warpware.webhooks import outbox

    if previous == available:
        return
    data = {"sku": sku, "previous_quantity": previous, "quantity_available": available, "reason": reason}
    subject = f"sku:{sku}"
    outbox.emit_event(session, principal.account_id, "inventory.updated", data, subject=subject,
                      sub_client_id=principal.sub_client_id)
    limit = threshold(session, principal)
    if available <= limit < previous:
        outbox.emit_event(session, principal.account_id, "inventory.low_stock", {**data, "threshold": limit},
                          subject=subject, sub_client_id=principal.sub_client_id)


def set_level(session: Session, principal: Principal, sku: str, body: LevelSet) -> tuple[Any, bool]:
    """A warehouse's count of units on hand (committed units are ours and stay). Unknown SKUs become
    master products; an unknown warehouse name becomes a location. Returns (level row, created)."""
    owner = _owner(principal)
    location = locations.resolve(session, principal, body.warehouse, create=True)
    product = products_service.ensure_product(session, principal, sku)
    now = utcnow()
    level = repository.lock_level(session, principal.account_id, owner, sku, location.id)
    created = level is None
    if level is None:
        repository.insert_level_if_missing(
            session,
            {
                "account_id": principal.account_id,
                "sub_client_id": principal.sub_client_id,
                "scope_key": owner,
                "product_id": product.id,
                "sku": sku,
                "location_id": location.id,
                "on_hand": 0,
                "committed": 0,
                "created_at": now,
                "updated_at": now,
            },
        )
        level = repository.lock_level(session, principal.account_id, owner, sku, location.id)
        assert level is not None
    previous_on_hand, committed = level.on_hand, level.committed
    level.on_hand = body.quantity_on_hand
    level.updated_at = now
    session.flush()
    repository.add_adjustment(
        session,
        account_id=principal.account_id,
        level_seq=level.seq,
        sku=sku,
        location_id=location.id,
        kind="set",
        adjustment=body.quantity_on_hand - previous_on_hand,
        previous_quantity=previous_on_hand - committed,
        new_quantity=body.quantity_on_hand - committed,
        reason=body.reason,
        integration_id=principal.integration_id,
        actor=actor_for(principal),
        created_at=now,
    )
    _announce(session, principal, sku, previous_on_hand - committed, body.quantity_on_hand - committed,
              reason=body.reason)
    return repository.level_row(session, level.seq), created


def threshold(session: Session, principal: Principal) -> int:
    settings = repository.settings_for(session, principal.account_id, _owner(principal))
    return settings.low_stock_threshold if settings else repository.DEFAULT_LOW_STOCK_THRESHOLD


def set_threshold(session: Session, principal: Principal, value: int) -> int:
    repository.save_threshold(session, principal.account_id, _owner(principal), value, utcnow())
    return value
