"""Jobs of the file, email and ShipStation channels: inbox polls, document delivery, SHIP_NOTIFY fetches."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.orm import Session

from warpware.channels import outbox
from warpware.channels.channel_settings import (
    CsvCredentials,
    CsvSettings,
    EdiCredentials,
    EdiSettings,
    EmailCredentials,
    EmailSettings,
)
from warpware.channels.edi import process_x12
from warpware.channels.email import poll_imap, send_email
from warpware.channels.file_models import ChannelDocument
from warpware.channels.files import process_csv_file
from warpware.channels.intake import FileResult, Processor, poll_inbox
from warpware.channels.shipstation import JOB as SHIP_NOTIFY_JOB
from warpware.channels.shipstation import apply_ship_notify
from warpware.channels.transports import open_box
from warpware.connections.models import Connection
from warpware.connections.service import credentials_of
from warpware.connectors.base import ConnectorError, RetryableConnectorError
from warpware.connectors.shipstation import ShipNotifyError
from warpware.db import Database
from warpware.worker import JobContext, RetryLater, job_handler, schedule, unschedule

log = logging.getLogger("warpware.channels")
POLL_JOB = "channel.poll"
POLLED_TYPES = ("edi", "csv", "email")


def poll_key(connection_id: uuid.UUID) -> str:
    return f"{POLL_JOB}:{connection_id}"


def poll_interval(connection: Connection) -> int | None:
    """Seconds between polls of the connection's inbox, or None when it has nothing to poll."""
    if connection.deleted_at is not None or connection.type not in POLLED_TYPES:
        return None
    settings = connection.settings or {}
    if connection.type == "email":
        email = EmailSettings.model_validate(settings)
        return email.poll_seconds if email.imap_host else None
    model = EdiSettings if connection.type == "edi" else CsvSettings
    files = model.model_validate(settings)
    return files.poll_seconds if files.transport != "upload" else None


def sync_polling(session: Session, connection: Connection) -> int | None:
    """Create, update or remove the connection's poll schedule to match its settings."""
    every = poll_interval(connection)
    if every is None:
        unschedule(session, poll_key(connection.id))
    else:
        schedule(session, POLL_JOB, every, {"connection_id": str(connection.id)}, key=poll_key(connection.id))
    return every


def poll_connection(database: Database, connection_id: uuid.UUID) -> list[FileResult]:
    """Read everything waiting in the connection's inbox (folder, SFTP or IMAP) and import it."""
    with database.reading() as session:
        connection = session.get(Connection, connection_id)
        if connection is None or connection.deleted_at is not None:
            return []
        kind, settings, credentials = connection.type, dict(connection.settings), credentials_of(connection)
    if kind == "email":
        return poll_imap(database, connection_id)
    processor: Processor
    if kind == "edi":
        box = open_box(EdiSettings.model_validate(settings), EdiCredentials.model_validate(credentials))
        processor = process_x12
    elif kind == "csv":
        box = open_box(CsvSettings.model_validate(settings), CsvCredentials.model_validate(credentials))
        processor = process_csv_file
    else:
        return []
    return poll_inbox(database, connection_id, box, processor)


@job_handler(POLL_JOB)
def poll_job(payload: dict[str, Any], ctx: JobContext) -> None:
    connection_id = uuid.UUID(str(payload["connection_id"]))
    with ctx.database.reading() as session:
        connection = session.get(Connection, connection_id)
        stale = connection is None or poll_interval(connection) is None
    if stale:
        with ctx.finishing() as session:
            unschedule(session, poll_key(connection_id))
        return
    try:
        results = poll_connection(ctx.database, connection_id)
    except ConnectorError as exc:
        # The next tick is the retry; the failure is on the connection's health already.
        log.warning("polling connection %s failed (%s): %s", connection_id, exc.category, exc.message)
        return
    if results:
        log.info("connection %s: %d file(s)/email(s) handled", connection_id, len(results))


def deliver(connection: Connection, document: ChannelDocument) -> None:
    """Send one stored document by the connection's transport (outbox folder, SFTP, or SMTP)."""
    credentials = credentials_of(connection)
    if connection.type == "email":
        send_email(
            EmailSettings.model_validate(connection.settings),
            EmailCredentials.model_validate(credentials),
            document.content,
        )
        return
    if connection.type == "edi":
        settings: EdiSettings | CsvSettings = EdiSettings.model_validate(connection.settings)
        box = open_box(settings, EdiCredentials.model_validate(credentials))
    else:
        settings = CsvSettings.model_validate(connection.settings)
        box = open_box(settings, CsvCredentials.model_validate(credentials))
    if settings.transport == "upload":
        return  # kept for download through the API
    with box:
        box.write("outbox", document.filename, document.content.encode())


@job_handler(outbox.DELIVER_JOB)
def deliver_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Deliver a queued document; safe to repeat (the same name and bytes are written again)."""
    document_id = int(payload["document_id"])
    with ctx.database.reading() as session:
        document = session.get(ChannelDocument, document_id)
        connection = session.get(Connection, document.connection_id) if document is not None else None
    if document is None or connection is None or document.status == "delivered":
        return
    try:
        deliver(connection, document)
    except ConnectorError as exc:
        retry = isinstance(exc, RetryableConnectorError) and ctx.attempt < ctx.max_attempts
        with ctx.database.writing() if retry else ctx.finishing() as session:
            outbox.mark_failed(session, document_id, f"{exc.category}: {exc.message}")
        if retry:
            assert isinstance(exc, RetryableConnectorError)
            raise RetryLater(exc.retry_after, exc.message) from exc
        log.warning("document %s (%s) not delivered: %s", document_id, document.filename, exc.message)
        return
    with ctx.finishing() as session:
        outbox.mark_delivered(session, document_id)


@job_handler(SHIP_NOTIFY_JOB)
def ship_notify_job(payload: dict[str, Any], ctx: JobContext) -> None:
    try:
        outcome = apply_ship_notify(
            ctx.database, uuid.UUID(str(payload["connection_id"])), str(payload["resource_url"])
        )
    except RetryableConnectorError as exc:
        raise RetryLater(exc.retry_after, exc.message) from exc
    except (ShipNotifyError, ConnectorError) as exc:
        log.warning("SHIP_NOTIFY %s not applied: %s", payload.get("resource_url"), exc)
        return
    log.info("SHIP_NOTIFY applied to %d order(s)", outcome.applied)
