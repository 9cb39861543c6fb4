"""Locations: discovered from the account's warehouse and store connections, or named via the API.

Every destination connection (Extensiv, the sandbox, ShipStation, HTTP warehouses) and every Shopify
store is a location. Discovery runs where locations are needed, so a new connection shows up without a
separate step; a deleted connection's location stays (its stock history refers to it) but is inactive.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.connections.models import Connection
from warpware.connectors.registry import DESTINATION_TYPES
from warpware.db import Database
from warpware.errors import NotFound, Unprocessable
from warpware.inventory import repository
from warpware.inventory.models import Location
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id, parse_uuid

STORE_TYPES = frozenset({"shopify"})
API_PLATFORM = "api"
DEFAULT_LOCATION_NAME = "Default warehouse"


def _is_location(connection: Connection) -> bool:
    return connection.type in DESTINATION_TYPES or connection.type in STORE_TYPES


def _platform_location_id(connection: Connection) -> str | None:
    settings = connection.settings or {}
    if connection.type == "extensiv" and settings.get("facility_id") is not None:
        return str(settings["facility_id"])
    if connection.type == "sandbox":
        return str(settings.get("facility_id", 1))
    if connection.type == "shopify" and isinstance(settings.get("location_id"), str):
        # The location inventory pushes set, as given: a number or a gid://shopify/Location/ id.
        return str(settings["location_id"]).removeprefix("gid://shopify/Location/")
    return None


def _wanted(connection: Connection) -> dict[str, Any]:
    return {
        "name": connection.name[:200],
        "platform": connection.type,
        "platform_location_id": _platform_location_id(connection),
        "active": connection.deleted_at is None,
    }


def _changes(session: Session, account_id: uuid.UUID) -> list[tuple[Location | None, Connection]]:
    """Connections whose location is missing or out of date."""
    existing = {
        loc.connection_id: loc
        for loc in repository.locations_for(session, account_id)
        if loc.connection_id is not None
    }
    changes: list[tuple[Location | None, Connection]] = []
    for connection in repository.all_connections(session, account_id):
        if not _is_location(connection):
            continue
        location = existing.get(connection.id)
        if location is None:
            if connection.deleted_at is None:
                changes.append((None, connection))
        elif any(getattr(location, k) != v for k, v in _wanted(connection).items()):
            changes.append((location, connection))
    return changes


def sync_connection_locations(session: Session, account_id: uuid.UUID) -> None:
    """Bring the account's connection locations up to date, in the caller's write transaction."""
    now = utcnow()
    for location, connection in _changes(session, account_id):
        if location is None:
            repository.insert_location(
                session,
                {
                    "id": new_id(),
                    "account_id": account_id,
                    "connection_id": connection.id,
                    "created_at": now,
                    "updated_at": now,
                    **_wanted(connection),
                },
            )
        else:
            repository.update_location(session, location.id, {**_wanted(connection), "updated_at": now})


def discover(database: Database, account_id: uuid.UUID) -> None:
    """For read endpoints: look in a read transaction, and write only when something changed."""
    with database.reading() as session:
        if not _changes(session, account_id):
            return
    with database.writing() as session:
        sync_connection_locations(session, account_id)


def location_for_connection(session: Session, connection: Connection) -> Location:
    """The location of a connection orders are routed to, created on first need."""
    location = repository.location_of_connection(session, connection.account_id, connection.id)
    if location is None:
        sync_connection_locations(session, connection.account_id)
        location = repository.location_of_connection(session, connection.account_id, connection.id)
    assert location is not None
    return location


def primary_location(
    session: Session,
    account_id: uuid.UUID,
    locations: list[Location] | None = None,
    connections: list[Connection] | None = None,
) -> Location | None:
    """The default destination connection's location; without one, the oldest active location."""
    locations = repository.locations_for(session, account_id) if locations is None else locations
    connections = repository.all_connections(session, account_id) if connections is None else connections
    default_ids = {c.id for c in connections if c.is_default and c.deleted_at is None}
    for location in locations:
        if location.connection_id in default_ids and location.active:
            return location
    active = [loc for loc in locations if loc.active]
    return active[0] if active else None


def resolve(session: Session, principal: Principal, warehouse: str | None, *, create: bool) -> Location:
    """The location a request names: its id, its connection's id, its name or its platform location id
    (e.g. an Extensiv facility id). None means the primary location. With `create`, an unknown name
    becomes a new API location (custom warehouses push stock this way); otherwise it is a 404."""
    account_id = principal.account_id
    sync_connection_locations(session, account_id)
    if warehouse is None:
        location = primary_location(session, account_id)
        if location is None and create:
            return _create(session, account_id, DEFAULT_LOCATION_NAME)
        if location is None:
            raise NotFound("This account has no warehouse yet")
        return location
    parsed = parse_uuid(warehouse)
    if parsed is not None:
        found = repository.get_location(session, account_id, parsed)
        if found is None:
            raise NotFound(f"Warehouse {warehouse} not found")
        return found
    locations = repository.locations_for(session, account_id)
    for matches in (
        [loc for loc in locations if loc.name.casefold() == warehouse.casefold()],
        [loc for loc in locations if loc.platform_location_id == warehouse],
    ):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise Unprocessable(
                f"Several warehouses match {warehouse!r}; name one by its id "
                f"({', '.join(str(m.id) for m in matches)})"
            )
    if not create:
        raise NotFound(f"Warehouse {warehouse} not found")
    return _create(session, account_id, warehouse)


def _create(session: Session, account_id: uuid.UUID, name: str) -> Location:
    now = utcnow()
    location_id = new_id()
    repository.insert_location(
        session,
        {
            "id": location_id,
            "account_id": account_id,
            "connection_id": None,
            "name": name[:200],
            "platform": API_PLATFORM,
            "platform_location_id": None,
            "active": True,
            "created_at": now,
            "updated_at": now,
        },
    )
    location = repository.get_location(session, account_id, location_id)
    assert location is not None
    return location


def location_read(location: Location, *, sku_count: int, is_primary: bool) -> dict[str, Any]:
    return {
        "id": location.id,
        "name": location.name,
        "platform": location.platform,
        "platform_location_id": location.platform_location_id,
        "address1": location.address1,
        "city": location.city,
        "state": location.state,
        "country": location.country,
        "active": location.active,
        "is_primary": is_primary,
        "sku_count": sku_count,
    }


def list_locations(
    session: Session,
    principal: Principal,
    *,
    platform: str | None,
    page: int | None,
    per_page: int,
    before_seq: int | None,
) -> tuple[list[dict[str, Any]], int, int | None]:
    """(location objects, total, seq of the last one shown when more follow in cursor mode)."""
    rows, total = repository.list_locations(
        session,
        principal.account_id,
        platform=platform,
        page=page,
        per_page=per_page + (1 if page is None else 0),
        before_seq=before_seq,
    )
    next_seq = None
    if page is None and len(rows) > per_page:
        rows = rows[:per_page]
        next_seq = rows[-1].seq
    primary = primary_location(session, principal.account_id)
    counts = repository.sku_counts(session, principal, [loc.id for loc in rows])
    data = [
        location_read(
            loc, sku_count=counts.get(loc.id, 0), is_primary=primary is not None and loc.id == primary.id
        )
        for loc in rows
    ]
    return data, total, next_seq
