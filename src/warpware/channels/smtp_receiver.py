"""An SMTP receiver for order emails (aiosmtpd): mail to an email connection's inbound_address is
processed like a polled message, and accepted (250) only once its transaction committed.

Unknown recipients are refused at RCPT (550), so the sender's server keeps the mail and tells them;
a database failure answers 451 so the sender's server retries. Nothing is held in memory between the
two: the message is either committed with its orders, or still the sender's responsibility.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

from warpware.channels.email import connection_for_address, process_email
from warpware.db import Database

log = logging.getLogger("warpware.channels.smtp")
_MAX_MESSAGE_BYTES = 25 * 1024 * 1024


class OrderMailHandler:
    def __init__(self, database: Database) -> None:
        self.database = database

    def _lookup(self, address: str) -> uuid.UUID | None:
        with self.database.reading() as session:
            connection = connection_for_address(session, address)
            return connection.id if connection is not None else None

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,  # noqa: N802
        rcpt_options: list[str],
    ) -> str:
        if await asyncio.to_thread(self._lookup, address) is None:
            return "550 5.1.1 No order inbox at this address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or (envelope.content if isinstance(envelope.content, bytes) else b"")
        try:
            await asyncio.to_thread(self._deliver, list(envelope.rcpt_tos), raw)
        except Exception:
            log.exception("order email could not be stored")
            return "451 4.3.0 Could not store the message; try again later"
        return "250 OK"

    def _deliver(self, recipients: list[str], raw: bytes) -> None:
        for address in dict.fromkeys(recipients):
            with self.database.writing() as session:
                connection = connection_for_address(session, address)
                if connection is not None:
                    result = process_email(session, connection, raw)
                    log.info("order email to %s: %s (%s)", address, result.outcome, result.detail)


def start_smtp_receiver(
    database: Database, *, host: str = "127.0.0.1", port: int = 2525, **options: Any
) -> Controller:
    """Start the receiver in a background thread; call .stop() on the result to shut it down."""
    controller = Controller(
        OrderMailHandler(database), hostname=host, port=port, data_size_limit=_MAX_MESSAGE_BYTES, **options
    )
    controller.start()
    return controller
