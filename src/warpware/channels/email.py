"""The email channel: order emails read over IMAP (or received by our SMTP receiver), one reply each.

An email brings orders as CSV or Excel attachments (read with the connection's column mapping) or, with
no attachment, as a key/value body (see docs/file-import.md). Each email is handled once, keyed on its
Message-ID, in one transaction: its orders, its delivery record and the reply listing what was created
and which rows were rejected (sent afterwards by a job, over SMTP).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import imaplib
import io
import re
import smtplib
import ssl
import uuid
from collections.abc import Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from warpware.channels.channel_settings import CsvFormat, EmailCredentials, EmailSettings
from warpware.channels.files import EXCEL_SUFFIXES, process_table
from warpware.channels.intake import FileOutcome, FileResult, claim, finish
from warpware.channels.outbox import add_document, find_document, mark_delivered, mark_failed
from warpware.channels.runtime import channel_database
from warpware.connections.models import Connection
from warpware.connections.service import credentials_of
from warpware.connectors.base import PermanentConnectorError, RetryableConnectorError, ShipmentNotice
from warpware.db import Database
from warpware.orders import repository as orders_repository

TOPIC = "email"
# Keys of a key/value order body, and the CSV column each one fills.
_BODY_KEYS = {
    "order": "external_id",
    "order number": "external_id",
    "order id": "external_id",
    "external id": "external_id",
    "po": "external_id",
    "name": "ship_name",
    "ship to": "ship_name",
    "company": "ship_company",
    "address": "address1",
    "address1": "address1",
    "address 1": "address1",
    "address2": "address2",
    "address 2": "address2",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "postal code": "zip",
    "country": "country",
    "phone": "phone",
    "email": "email",
    "customer": "customer_name",
    "note": "note",
    "tags": "tags",
    "service": "service_level",
    "service level": "service_level",
    "carrier": "carrier",
}
_ITEM = re.compile(
    r"^\s*(?:item|line)\s*:\s*(?P<sku>\S+)\s*[x×*]\s*(?P<qty>\d+)\s*(?:@\s*\$?(?P<price>[\d.]+))?\s*$",
    re.IGNORECASE,
)
_KEY_VALUE = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z0-9 _]*?)\s*:\s*(?P<value>.*?)\s*$")


def message_key(message: EmailMessage, raw: bytes) -> str:
    message_id = str(message.get("Message-ID") or "").strip()
    return f"message-id:{message_id}" if message_id else "sha256:" + hashlib.sha256(raw).hexdigest()


def body_as_csv(text: str) -> bytes | None:
    """A key/value order body as a one-order CSV in the default column layout, or None if it is not one."""
    fields: dict[str, str] = {}
    items: list[tuple[str, str, str]] = []
    for line in text.splitlines():
        if line.strip() in ("--", "-- "):
            break  # the signature
        item = _ITEM.match(line)
        if item:
            items.append((item["sku"], item["qty"], item["price"] or ""))
            continue
        pair = _KEY_VALUE.match(line)
        if pair and pair["key"].strip().lower() in _BODY_KEYS:
            fields.setdefault(_BODY_KEYS[pair["key"].strip().lower()], pair["value"])
    if not items or "external_id" not in fields:
        return None
    columns = [
        "external_id",
        "sku",
        "quantity",
        "price",
        *[c for c in dict.fromkeys(_BODY_KEYS.values()) if c != "external_id"],
    ]
    lines = [columns] + [
        [fields.get("external_id", ""), sku, qty, price, *[fields.get(c, "") for c in columns[4:]]]
        for sku, qty, price in items
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(lines)
    return out.getvalue().encode()


def process_email(session: Session, connection: Connection, raw: bytes) -> FileResult:
    """One email, once: its orders ingested and a reply queued, in the caller's transaction."""
    settings = EmailSettings.model_validate(connection.settings)
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    key = message_key(message, raw)
    subject = str(message.get("Subject") or "(no subject)")
    sender = parseaddr(str(message.get("From") or ""))[1]
    if not claim(session, connection, key, TOPIC):
        return FileResult(subject, "duplicate", f"email {key} was already received; nothing imported again")
    if not sender or not settings.sender_allowed(sender):
        result = FileResult(subject, "rejected", f"sender {sender or '(none)'} is not in allowed_senders")
        finish(session, connection, key, result)
        return result  # no reply: answering strangers would make us a spam relay
    meta = {"email": {"from": sender, "subject": subject, "message_id": str(message.get("Message-ID") or "")}}
    files: list[FileResult] = []
    fmt = settings.format.model_copy(update={"source": "email"})
    for index, part in enumerate(message.iter_attachments()):
        name = part.get_filename() or f"attachment-{index + 1}"
        if not (
            name.lower().endswith((".csv", ".txt", *EXCEL_SUFFIXES)) or part.get_content_type() == "text/csv"
        ):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        files.append(
            process_table(session, connection, name, data, fmt, delivery_id=f"{key}#{index}", metadata=meta)
        )
    if not files:
        body = message.get_body(preferencelist=("plain",))
        csv_body = body_as_csv(body.get_content()) if isinstance(body, EmailMessage) else None
        if csv_body is not None:
            files.append(
                process_table(
                    session,
                    connection,
                    "message body",
                    csv_body,
                    # body_as_csv writes the default column names, whatever the attachments' mapping is
                    CsvFormat(source="email", default_country=fmt.default_country),
                    delivery_id=f"{key}#body",
                    metadata=meta,
                )
            )
    if not files:
        result = FileResult(
            subject,
            "rejected",
            "no CSV or Excel attachment, and the body is not a key/value "
            "order (Order:, Name:, Address:, ..., Item: SKU x QTY)",
        )
    else:
        created = sum(f.created for f in files)
        # Each part is all-or-nothing; the email counts as accepted when any part was.
        outcome: FileOutcome = "accepted" if any(f.outcome == "accepted" for f in files) else "rejected"
        result = FileResult(
            subject,
            outcome,
            f"{created} order(s) created from {len(files)} part(s)",
            orders=tuple(o for f in files for o in f.orders),
            rows=tuple(r for f in files for r in f.rows),
            extra={"parts": [f.as_dict() for f in files]},
        )
    finish(session, connection, key, result)
    if settings.smtp_host and settings.reply_from:
        reply = reply_message(settings, message, sender, files or [result])
        document = add_document(
            session,
            connection,
            kind="email_reply",
            dedupe_key=f"reply:{key}",
            filename=f"reply-{uuid.uuid4().hex[:12]}.eml",
            content=reply.as_string(),
        )
        result = FileResult(
            result.filename,
            result.outcome,
            result.detail,
            result.orders,
            result.rows,
            (document.filename,),
            result.extra,
        )
    return result


def reply_message(
    settings: EmailSettings, original: EmailMessage, sender: str, files: Sequence[FileResult]
) -> EmailMessage:
    """The answer to an order email: orders created, orders already known, rows rejected and why."""
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = settings.reply_from or ""
    reply["To"] = ", ".join(dict.fromkeys([sender, *settings.notify_addresses]))
    subject = str(original.get("Subject") or "your order email")
    reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    reply["Date"] = formatdate(localtime=False)
    reply["Message-ID"] = make_msgid(domain=(settings.reply_from or "warpware.local").split("@")[-1])
    if original.get("Message-ID"):
        reply["In-Reply-To"] = str(original["Message-ID"])
        reply["References"] = str(original["Message-ID"])
    reply["Auto-Submitted"] = "auto-replied"
    lines: list[str] = []
    for part in files:
        lines.append(f"{part.filename}: {part.detail}")
        for order in part.orders:
            verb = "created" if order.outcome == "created" else "already imported, not created again"
            lines.append(f"  order {order.external_id}: {verb} (WarpWare id {order.order_id})")
        for row in part.rows:
            if row.outcome in ("error", "not_imported"):
                lines.append(
                    f"  row {row.row} ({row.external_id or 'no order id'}): {row.outcome}: {row.reason}"
                )
        lines.append("")
    reply.set_content("We processed your order email.\n\n" + "\n".join(lines))
    return reply


# --- sending ------------------------------------------------------------------------------------------


def send_email(settings: EmailSettings, credentials: EmailCredentials, content: str) -> None:
    """Send a stored message over the connection's SMTP server; typed errors for the worker."""
    message = message_from_bytes(content.encode(), policy=policy.SMTP)
    recipients = [
        a
        for _, a in getaddresses([str(v) for v in message.get_all("To", []) + message.get_all("Cc", [])])
        if a
    ]
    if not settings.smtp_host:
        raise PermanentConnectorError("the connection has no smtp_host to send with", category="validation")
    try:
        if settings.smtp_security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=settings.timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_username and credentials.smtp_password is not None:
                client.login(settings.smtp_username, credentials.smtp_password.get_secret_value())
            client.send_message(message, from_addr=settings.reply_from, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError as exc:
        raise PermanentConnectorError(f"SMTP login refused: {exc.smtp_error!r}", category="auth") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentConnectorError(
            f"SMTP refused every recipient: {sorted(exc.recipients)}", category="validation"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise RetryableConnectorError(f"SMTP send failed: {exc}", category="network_timeout") from None


class EmailTrackingWriter:
    """Tells the address an order email came from that the order shipped (when SMTP is configured)."""

    def __init__(self, settings: EmailSettings, credentials: EmailCredentials) -> None:
        self.settings = settings
        self.credentials = credentials

    def test(self) -> None:
        if self.settings.imap_host:
            with _imap(self.settings, self.credentials):
                pass

    def write_tracking(self, notice: ShipmentNotice) -> None:
        if not self.settings.smtp_host or not self.settings.reply_from:
            return  # no way to answer: tracking stays on the order
        database = channel_database()
        with database.writing() as session:
            order = orders_repository.get_order_unscoped(session, uuid.UUID(notice.order_id))
            if order is None or order.channel_connection_id is None:
                return
            sender = ((order.meta or {}).get("email") or {}).get("from")
            if not sender and not self.settings.notify_addresses:
                return
            connection = session.get(Connection, order.channel_connection_id)
            assert connection is not None
            key = f"shipment:{order.id}:{notice.tracking_number}"
            document = find_document(session, connection.id, key) or add_document(
                session,
                connection,
                kind="email_shipment",
                dedupe_key=key,
                order_id=order.id,
                filename=f"shipment-{order.id}.eml",
                content=_shipment_message(self.settings, notice, sender),
                deliver_by_job=False,
            )
            document_id, content, done = document.id, document.content, document.status == "delivered"
        if done:
            return
        try:
            send_email(self.settings, self.credentials, content)
        except Exception as exc:
            with database.writing() as session:
                mark_failed(session, document_id, str(exc))
            raise
        with database.writing() as session:
            mark_delivered(session, document_id)


def _shipment_message(settings: EmailSettings, notice: ShipmentNotice, sender: str | None) -> str:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = settings.reply_from or ""
    message["To"] = ", ".join(dict.fromkeys([a for a in [sender, *settings.notify_addresses] if a]))
    message["Subject"] = f"Order {notice.external_id} shipped"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=(settings.reply_from or "warpware.local").split("@")[-1])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"Order {notice.external_id} shipped"
        + (f" on {notice.shipped_at:%Y-%m-%d}" if notice.shipped_at else "")
        + f".\nCarrier: {notice.carrier or 'unknown'}\nTracking number: {notice.tracking_number}\n"
        + (f"Track: {notice.tracking_url}\n" if notice.tracking_url else "")
    )
    return message.as_string()


# --- IMAP polling -------------------------------------------------------------------------------------


def _imap(settings: EmailSettings, credentials: EmailCredentials) -> imaplib.IMAP4:
    assert settings.imap_host is not None
    try:
        if settings.imap_security == "ssl":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                settings.imap_host,
                settings.imap_port,
                ssl_context=ssl.create_default_context(),
                timeout=settings.timeout_seconds,
            )
        else:
            client = imaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=settings.timeout_seconds)
            if settings.imap_security == "starttls":
                client.starttls(ssl_context=ssl.create_default_context())
        password = credentials.imap_password.get_secret_value() if credentials.imap_password else ""
        client.login(settings.imap_username or "", password)
    except imaplib.IMAP4.error as exc:
        raise PermanentConnectorError(
            f"IMAP login to {settings.imap_host} refused: {exc}", category="auth"
        ) from None
    except OSError as exc:
        raise RetryableConnectorError(
            f"IMAP connection to {settings.imap_host} failed: {exc}", category="network_timeout"
        ) from None
    return client


def poll_imap(database: Database, connection_id: uuid.UUID) -> list[FileResult]:
    """Read every unseen message; each is marked \\Seen only after its transaction committed.

    Messages are fetched with BODY.PEEK[] so that reading does not mark them seen: a crash before the
    commit leaves the message unseen for the next poll, and one after it is refused by its Message-ID.
    """
    with database.reading() as session:
        connection = session.get(Connection, connection_id)
        if connection is None or connection.deleted_at is not None:
            return []
        settings = EmailSettings.model_validate(connection.settings)
        credentials = EmailCredentials.model_validate(credentials_of(connection))
    if not settings.imap_host:
        return []
    client = _imap(settings, credentials)
    results: list[FileResult] = []
    try:
        status, _ = client.select(_quoted(settings.mailbox))
        if status != "OK":
            raise PermanentConnectorError(
                f"IMAP mailbox {settings.mailbox!r} cannot be selected", category="validation"
            )
        status, found = client.search(None, "UNSEEN")
        numbers = found[0].split() if status == "OK" and found and found[0] else []
        for number in numbers:
            status, data = client.fetch(number.decode(), "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if status != "OK" or not isinstance(raw, bytes):
                continue
            with database.writing() as session:
                live = session.get(Connection, connection_id)
                if live is None:
                    break
                results.append(process_email(session, live, raw))
            client.store(number.decode(), "+FLAGS", "(\\Seen)")
    except (imaplib.IMAP4.error, OSError) as exc:
        raise RetryableConnectorError(
            f"IMAP polling of {settings.imap_host} failed: {exc}", category="network_timeout"
        ) from None
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return results


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def connection_for_address(session: Session, address: str) -> Connection | None:
    """The email connection whose inbound_address is `address` (for the SMTP receiver)."""
    wanted = address.strip().lower()
    for connection in session.scalars(
        select(Connection).where(Connection.type == "email", Connection.deleted_at.is_(None))
    ):
        inbound = (connection.settings or {}).get("inbound_address")
        if isinstance(inbound, str) and inbound.lower() == wanted:
            return connection
    return None
