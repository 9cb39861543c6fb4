"""ShipStation SHIP_NOTIFY: an unsigned trigger. We never trust its body beyond "look at this URL", and
then only on the connection's own ShipStation host; what we apply is what ShipStation's API says."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from warpware.connections import service as connections_service
from warpware.connections.models import Connection
from warpware.connectors.shipstation import ShipNotifyError, ShipStationDestination, safe_resource_path
from warpware.connectors.shipstation.client import ShipStationSettings
from warpware.db import Database
from warpware.kit.ids import parse_uuid
from warpware.orders.models import Order
from warpware.pipeline.tracking import apply_tracking
from warpware.worker import enqueue

JOB = "shipstation.ship_notify"
log = logging.getLogger("warpware.channels.shipstation")


def queue_ship_notify(session: Session, connection: Connection, resource_url: str) -> int | None:
    """Enqueue the fetch; refuses (ShipNotifyError) a URL off the connection's host before queueing.

    The same resource_url is fetched once: ShipStation's redeliveries and replays of an unsigned
    request cost nothing against its 40 requests a minute.
    """
    settings = ShipStationSettings.model_validate(connection.settings)
    safe_resource_path(resource_url, settings.base_url)
    digest = hashlib.sha256(resource_url.encode()).hexdigest()[:32]
    return enqueue(
        session,
        JOB,
        {"connection_id": str(connection.id), "resource_url": resource_url},
        dedupe_key=f"{JOB}:{connection.id}:{digest}",
        ordering_key=f"{JOB}:{connection.id}",
        max_attempts=10,
    )


@dataclass(frozen=True)
class NotifyOutcome:
    applied: int
    unmatched: list[str]


def apply_ship_notify(database: Database, connection_id: uuid.UUID, resource_url: str) -> NotifyOutcome:
    """Fetch the shipments the notification points at and apply each to the order it names.

    Orders are matched by orderKey, which is our order id (the reference we sent), and must belong to
    this connection; an orderId match is the fallback for orders created before the reference existed.
    Raises RetryableConnectorError (the worker retries) and ShipNotifyError (a bad URL: not retried).
    """
    with database.reading() as session:
        connection = session.get(Connection, connection_id)
        if connection is None or connection.deleted_at is not None or connection.type != "shipstation":
            return NotifyOutcome(0, [])
        destination = connections_service.destination_for(connection)
    if not isinstance(destination, ShipStationDestination):
        raise ShipNotifyError(f"connection {connection_id} is not a ShipStation destination")
    # The connector is shared per process (connections.service): not ours to close.
    shipments = destination.fetch_ship_notify(resource_url)
    applied, unmatched = 0, []
    with database.writing() as session:
        for shipment in shipments:
            reference = parse_uuid(shipment.reference) if shipment.reference else None
            conditions = [Order.id == reference] if reference is not None else []
            if shipment.destination_order_id:
                conditions.append(Order.destination_order_id == shipment.destination_order_id)
            order = (
                session.scalars(
                    select(Order)
                    .where(
                        Order.account_id == connection.account_id,
                        Order.connection_id == connection.id,
                        or_(*conditions),
                    )
                    .with_for_update()
                ).first()
                if conditions
                else None
            )
            if order is None:
                unmatched.append(shipment.reference or shipment.order_number or "?")
                continue
            apply_tracking(session, order, shipment.update, via="hook:shipstation")
            applied += 1
    if unmatched:
        log.info("SHIP_NOTIFY for %s: no order for %s", connection_id, ", ".join(unmatched))
    return NotifyOutcome(applied, unmatched)
