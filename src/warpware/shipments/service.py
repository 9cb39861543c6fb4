"""Shipments become orders through the shared ingest, pinned to the warehouse they are allocated to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.connections.models import Connection
from warpware.connectors.base import Address, LineItem, NormalizedOrder
from warpware.connectors.registry import DESTINATION_TYPES
from warpware.errors import NotFound, Unprocessable, WarpWareError
from warpware.inventory import locations
from warpware.inventory.models import Location
from warpware.orders import service as orders_service
from warpware.orders.models import Order
from warpware.shipments.models import Shipment
from warpware.shipments.schemas import ShipmentCreate


@dataclass(frozen=True)
class Ingested:
    order: Order | None
    duplicate_of: Order | None


def _unknown_warehouse(warehouse_id: str, why: str) -> Unprocessable:
    return Unprocessable(
        f"Validation failed: warehouse_id: {why}",
        extra={"errors": [{"field": "warehouse_id", "message": why}]},
    )


def warehouse_of(session: Session, principal: Principal, warehouse_id: str) -> tuple[Connection, Location]:
    """The destination connection a warehouse_id names: a location's id, its connection's id, its name or
    its platform location id (an Extensiv facility id such as "6")."""
    try:
        location = locations.resolve(session, principal, warehouse_id, create=False)
    except NotFound:
        raise _unknown_warehouse(warehouse_id, f"no warehouse {warehouse_id!r} in this account") from None
    except WarpWareError as exc:
        raise _unknown_warehouse(warehouse_id, exc.detail) from None
    connection = session.get(Connection, location.connection_id) if location.connection_id else None
    if connection is None or connection.deleted_at is not None or connection.type not in DESTINATION_TYPES:
        raise _unknown_warehouse(warehouse_id, f"{location.name} is not a warehouse orders can be sent to")
    return connection, location


def normalized(body: ShipmentCreate) -> NormalizedOrder:
    ship_to = body.ship_to
    return NormalizedOrder(
        external_id=body.external_id,
        source=body.source,
        line_items=tuple(
            LineItem(sku=li.sku, quantity=li.quantity, name=li.description, uom=li.uom)
            for li in body.line_items
        ),
        shipping_address=Address(
            name=ship_to.name,
            address1=ship_to.address1,
            address2=ship_to.address2 or None,
            city=ship_to.city,
            state=ship_to.state,
            zip=ship_to.zip,
            country=ship_to.country,
            phone=ship_to.phone or None,
            company=ship_to.company,
            email=ship_to.email,
        ),
        customer_email=ship_to.email,
        customer_name=ship_to.name,
        note=body.note,
        carrier=body.carrier,
        service_level=body.service,
    )


def ingest(session: Session, principal: Principal, body: ShipmentCreate, *, actor: str) -> Ingested:
    """Deduplicated like every order (external_id per client); the warehouse must exist (422 otherwise)."""
    connection, location = warehouse_of(session, principal, body.warehouse_id)
    [result] = orders_service.ingest(session, principal, [normalized(body)], actor=actor)
    if result.order is None:
        return Ingested(None, result.duplicate_of)
    session.add(
        Shipment(
            order_id=result.order.id,
            account_id=principal.account_id,
            warehouse_id=body.warehouse_id,
            connection_id=connection.id,
            location_id=location.id,
            created_at=result.order.created_at,
        )
    )
    return Ingested(result.order, None)


def pinned_connection(session: Session, order: Order) -> Connection | None:
    """The warehouse a shipment's order is allocated to: routing sends it there, before any routing rule."""
    shipment = session.get(Shipment, order.id)
    if shipment is None:
        return None
    connection = session.get(Connection, shipment.connection_id)
    return connection if connection is not None and connection.deleted_at is None else None
