"""Documents we owe a channel (997s, 856s, results files, reply emails) and per-connection counters.

A document is a row written in the transaction that causes it, with a delivery job beside it; the
job (channels.tasks) sends it by the connection's transport and marks it delivered.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from warpware.channels.file_models import ChannelCounter, ChannelDocument
from warpware.connections.models import Connection
from warpware.kit.clock import utcnow
from warpware.worker import enqueue

DELIVER_JOB = "channel.deliver_document"
# ISA13 and GS06 are at most nine digits; the sequence wraps back to 1 after that.
_COUNTER_MAX = 999_999_999


def next_number(session: Session, connection_id: uuid.UUID, name: str) -> int:
    """The next value of a per-connection sequence (1, 2, ...), taken under the counter row's lock."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(ChannelCounter)
        .values(connection_id=connection_id, name=name, value=0)
        .on_conflict_do_nothing()
    )
    value = session.execute(
        update(ChannelCounter)
        .where(ChannelCounter.connection_id == connection_id, ChannelCounter.name == name)
        .values(value=ChannelCounter.value % _COUNTER_MAX + 1)
        .returning(ChannelCounter.value)
    ).scalar_one()
    return int(value)


def find_document(session: Session, connection_id: uuid.UUID, dedupe_key: str) -> ChannelDocument | None:
    return session.scalars(
        select(ChannelDocument).where(
            ChannelDocument.connection_id == connection_id, ChannelDocument.dedupe_key == dedupe_key[:300]
        )
    ).first()


def add_document(
    session: Session,
    connection: Connection,
    *,
    kind: str,
    dedupe_key: str,
    filename: str,
    content: str,
    order_id: uuid.UUID | None = None,
    deliver_by_job: bool = True,
) -> ChannelDocument:
    """Store a document to send (once per dedupe_key) and, unless the caller delivers it, its job."""
    existing = find_document(session, connection.id, dedupe_key)
    if existing is not None:
        return existing
    document = ChannelDocument(
        account_id=connection.account_id,
        connection_id=connection.id,
        kind=kind,
        dedupe_key=dedupe_key[:300],
        filename=filename[:255],
        content=content,
        order_id=order_id,
        status="pending",
        attempts=0,
        created_at=utcnow(),
    )
    session.add(document)
    session.flush()
    if deliver_by_job:
        enqueue(
            session,
            DELIVER_JOB,
            {"document_id": document.id},
            dedupe_key=f"{DELIVER_JOB}:{document.id}",
            max_attempts=12,
        )
    return document


def documents_for(
    session: Session, connection_id: uuid.UUID, *, kind: str | None = None
) -> list[ChannelDocument]:
    query = select(ChannelDocument).where(ChannelDocument.connection_id == connection_id)
    if kind is not None:
        query = query.where(ChannelDocument.kind == kind)
    return list(session.scalars(query.order_by(ChannelDocument.id)))


def mark_delivered(session: Session, document_id: int) -> None:
    session.execute(
        update(ChannelDocument)
        .where(ChannelDocument.id == document_id)
        .values(
            status="delivered", delivered_at=utcnow(), last_error=None, attempts=ChannelDocument.attempts + 1
        )
    )


def mark_failed(session: Session, document_id: int, error: str) -> None:
    session.execute(
        update(ChannelDocument)
        .where(ChannelDocument.id == document_id)
        .values(last_error=error[:2000], attempts=ChannelDocument.attempts + 1)
    )
