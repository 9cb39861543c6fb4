"""What the file and email channels share: per-file results, recording a delivery, ingesting a batch of
orders in one transaction, and polling a connection's inbox folder (local or SFTP)."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from warpware.channels import service as channel_service
from warpware.channels.transports import FileBox, Role
from warpware.connections import service as connections_service
from warpware.connections.models import Connection
from warpware.connectors.base import ConnectorError, NormalizedOrder
from warpware.db import Database
from warpware.orders import service as orders_service

log = logging.getLogger("warpware.channels")
_DETAIL_LIMIT = 20_000

FileOutcome = Literal["accepted", "rejected", "duplicate"]


@dataclass(frozen=True)
class OrderOutcome:
    external_id: str
    outcome: Literal["created", "duplicate"]
    order_id: uuid.UUID | None
    # For CSV: the data rows (1 = first row after the header) that made the order.
    rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class RowResult:
    row: int
    external_id: str | None
    # created, duplicate, error (this row is wrong), not_imported (the file was rejected for other rows)
    outcome: str
    reason: str | None = None
    order_id: uuid.UUID | None = None


@dataclass(frozen=True)
class FileResult:
    filename: str
    outcome: FileOutcome
    detail: str
    orders: tuple[OrderOutcome, ...] = ()
    rows: tuple[RowResult, ...] = ()
    # Documents queued for the partner because of this file (997s, a results file).
    documents: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def created(self) -> int:
        return sum(1 for o in self.orders if o.outcome == "created")

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "outcome": self.outcome,
            "detail": self.detail,
            "orders": [
                {
                    "external_id": o.external_id,
                    "outcome": o.outcome,
                    "order_id": o.order_id,
                    **({"rows": list(o.rows)} if o.rows else {}),
                }
                for o in self.orders
            ],
            "rows": [
                {
                    "row": r.row,
                    "external_id": r.external_id,
                    "outcome": r.outcome,
                    "reason": r.reason,
                    "order_id": r.order_id,
                }
                for r in self.rows
            ],
            "documents": list(self.documents),
            **self.extra,
        }


def sha256_key(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def claim(session: Session, connection: Connection, delivery_id: str, topic: str) -> bool:
    return channel_service.claim_delivery(session, connection, delivery_id, topic)


def finish(session: Session, connection: Connection, delivery_id: str, result: FileResult) -> None:
    """Record what became of a claimed delivery: error for a rejected file, else created/duplicate."""
    if result.outcome == "rejected":
        outcome = "error"
    elif result.created:
        outcome = "created"
    else:
        outcome = "duplicate"
    first = next((o.order_id for o in result.orders if o.outcome == "created"), None)
    lines = [result.detail] + [f"row {r.row}: {r.reason}" for r in result.rows if r.outcome == "error"]
    channel_service.finish_delivery(
        session,
        connection,
        delivery_id,
        channel_service.ChannelResult(outcome, first, "\n".join(lines)[:_DETAIL_LIMIT]),
    )


def ingest_all(
    session: Session, connection: Connection, orders: Sequence[NormalizedOrder]
) -> list[OrderOutcome]:
    """Every order through the shared ingest, in the caller's transaction (all of them or none)."""
    principal = channel_service.principal_for(session, connection)
    results = orders_service.ingest(
        session,
        principal,
        list(orders),
        actor=f"channel:{connection.type}",
        channel_connection_id=connection.id,
    )
    return [
        OrderOutcome(r.external_id, "created", r.order.id)
        if r.order is not None
        else OrderOutcome(r.external_id, "duplicate", r.duplicate_of.id if r.duplicate_of else None)
        for r in results
    ]


def summary(orders: Sequence[OrderOutcome]) -> str:
    created = [o.external_id for o in orders if o.outcome == "created"]
    duplicates = [o.external_id for o in orders if o.outcome == "duplicate"]
    parts = [f"{len(created)} order(s) created" + (f": {', '.join(created)}" if created else "")]
    if duplicates:
        parts.append(f"{len(duplicates)} already imported (refused): {', '.join(duplicates)}")
    return "; ".join(parts)


Processor = Callable[[Session, Connection, str, bytes], FileResult]


def poll_inbox(
    database: Database, connection_id: uuid.UUID, box: FileBox, processor: Processor
) -> list[FileResult]:
    """Handle every ready file in the connection's inbox, one transaction per file, then move it.

    A file is moved only after its transaction committed; a crash in between leaves it in the inbox,
    and the next poll finds its delivery already recorded (a duplicate: nothing is imported twice).
    Rejected and duplicate files go to the error folder with a `.error.txt` note saying why.
    """
    results: list[FileResult] = []
    started = time.monotonic()
    try:
        with box:
            for name in box.list("inbox"):
                data = box.read("inbox", name)
                try:
                    with database.writing() as session:
                        connection = session.get(Connection, connection_id)
                        if connection is None or connection.deleted_at is not None:
                            break
                        result = processor(session, connection, name, data)
                except (ConnectorError, SQLAlchemyError):
                    raise
                except Exception:
                    # A bug on one file must not hold up the files behind it; this one stays for a person.
                    log.exception(
                        "channel %s: %s could not be processed; left in the inbox", connection_id, name
                    )
                    continue
                target: Role = "processed" if result.outcome == "accepted" else "error"
                moved = box.move(name, "inbox", target)
                if target == "error":
                    box.write("error", f"{moved}.error.txt", (result.detail + "\n").encode())
                log.info("channel %s: %s %s (%s)", connection_id, name, result.outcome, result.detail)
                results.append(result)
    except ConnectorError as exc:
        _record_poll(database, connection_id, ok=False, started=started, error=exc)
        raise
    _record_poll(database, connection_id, ok=True, started=started, error=None)
    return results


def _record_poll(
    database: Database, connection_id: uuid.UUID, *, ok: bool, started: float, error: ConnectorError | None
) -> None:
    with database.writing() as session:
        connection = session.get(Connection, connection_id)
        if connection is not None:
            connections_service.record_call(
                session,
                connection,
                operation="poll",
                ok=ok,
                error=error,
                duration_ms=int((time.monotonic() - started) * 1000),
            )
