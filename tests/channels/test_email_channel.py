"""The email channel against real local servers: an IMAP mailbox polled by the worker, our SMTP
receiver, and an SMTP server that receives the replies."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from tests.channels.conftest import Channels, fixture_bytes
from tests.channels.local_servers import Mailbox, SmtpSink, free_port, imap_server, smtp_sink
from warpware.channels.smtp_receiver import start_smtp_receiver
from warpware.db import Database

ORDER_EMAIL = fixture_bytes("email", "order_csv.eml")
# The buyer's spreadsheet has its own headers; the connection maps them.
BUYER_COLUMNS = {
    "external_id": "order_number",
    "ship_name": "recipient",
    "address1": "street",
    "city": "town",
    "state": "region",
    "zip": "postcode",
    "sku": "item",
    "quantity": "qty",
    "price": "unit_price",
}


@pytest.fixture
def sink() -> Iterator[tuple[SmtpSink, int]]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with imap_server(box) as port:
        yield box, port


def email_settings(sink_port: int, **overrides: Any) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": sink_port,
        "smtp_security": "none",
        "reply_from": "orders@acme-fulfillment.example",
        "format": {"columns": BUYER_COLUMNS},
        **overrides,
    }


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_imap_poll_imports_csv_attachment_and_replies_once(
    channels: Channels, mailbox: tuple[Mailbox, int], sink: tuple[SmtpSink, int], work: Callable[[], int]
) -> None:
    box, imap_port = mailbox
    received, smtp_port = sink
    connection_id = channels.create(
        "email",
        email_settings(
            smtp_port,
            imap_host="127.0.0.1",
            imap_port=imap_port,
            imap_security="none",
            imap_username=box.username,
        ),
        {"imap_password": box.password},
    )
    box.deliver(ORDER_EMAIL)

    channels.poll(connection_id)
    work()

    orders = {o["external_id"]: o for o in channels.orders()}
    assert sorted(orders) == ["EM-5001", "EM-5002"]
    first = channels.order(orders["EM-5001"]["id"])
    assert first["source"] == "email"
    assert [(li["sku"], li["quantity"], li["price"]) for li in first["line_items"]] == [
        ("BOOK-COBOL", 1, 39.95),
        ("PEN-BLU", 3, 2.5),
    ]
    assert first["metadata"]["email"]["from"] == "purchasing@buyer-corp.example"
    assert box.messages[0]["seen"] is True
    assert "FETCH" in box.commands and "STORE" in box.commands
    [reply] = received.messages
    assert reply.rcpt_tos == ["purchasing@buyer-corp.example"]
    message = parsed(reply.content)
    assert message["Subject"] == "Re: PO batch 2026-01-14"
    assert message["In-Reply-To"] == "<20260114141158.8a41c2@mail.buyer-corp.example>"
    body = message.get_content()
    assert "orders-2026-01-14.csv: orders-2026-01-14.csv: 2 order(s) created: EM-5001, EM-5002" in body
    assert f"order EM-5001: created (WarpWare id {orders['EM-5001']['id']})" in body

    # The same message again (a client re-sending it, or the mailbox copying it): refused by Message-ID.
    box.deliver(ORDER_EMAIL)
    channels.poll(connection_id)
    work()
    assert len(channels.orders()) == 2 and len(received.messages) == 1
    assert all(m["seen"] for m in box.messages)
    assert [d["outcome"] for d in channels.deliveries(connection_id)] == ["created", "created"]


def test_rejected_rows_are_listed_in_the_reply(
    channels: Channels, mailbox: tuple[Mailbox, int], sink: tuple[SmtpSink, int], work: Callable[[], int]
) -> None:
    box, imap_port = mailbox
    received, smtp_port = sink
    connection_id = channels.create(
        "email",
        email_settings(
            smtp_port,
            imap_host="127.0.0.1",
            imap_port=imap_port,
            imap_security="none",
            imap_username=box.username,
        ),
        {"imap_password": box.password},
    )
    bad = ORDER_EMAIL.replace(b"<20260114141158.8a41c2@", b"<bad-rows.1@").replace(
        b"Subject: PO batch 2026-01-14", b"Subject: PO batch with a typo"
    )
    # Row 3's quantity becomes "three" (the CSV is base64 in the email: rebuild the attachment).
    message = parsed(bad)
    attachment = next(message.iter_attachments())
    text = attachment.get_content().replace("PEN-BLU,3,2.50", "PEN-BLU,three,2.50")
    attachment.set_content(text.encode(), maintype="text", subtype="csv", filename="orders-2026-01-14.csv")
    box.deliver(message.as_bytes())

    channels.poll(connection_id)
    work()

    assert channels.orders() == []
    [reply] = received.messages
    body = parsed(reply.content).get_content()
    assert "row 3 (EM-5001): error: qty 'three' is not a whole number of at least 1" in body
    assert "row 2 (EM-5001): not_imported: file rejected for other rows" in body
    assert "row 4 (EM-5002): not_imported: file rejected for other rows" in body


@pytest.fixture
def receiver(db: Database) -> Iterator[int]:
    port = free_port()
    controller = start_smtp_receiver(db, host="127.0.0.1", port=port)
    try:
        yield port
    finally:
        controller.stop()


def test_smtp_receiver_takes_a_key_value_order_and_refuses_unknown_inboxes(
    channels: Channels, receiver: int, sink: tuple[SmtpSink, int], work: Callable[[], int]
) -> None:
    received, smtp_port = sink
    inbound = f"po-{channels.tenant.account}@inbound.acme.example"
    channels.create(
        "email", email_settings(smtp_port, inbound_address=inbound, allowed_senders=["@buyer-corp.example"])
    )
    order = EmailMessage()
    order["From"] = "Dee Buyer <dee@buyer-corp.example>"
    order["To"] = inbound
    order["Subject"] = "New order"
    order["Message-ID"] = "<kv-order-1@buyer-corp.example>"
    order.set_content(
        "Order: KV-9001\nName: Dee Buyer\nAddress: 77 Mill Rd\nCity: Salem\nState: MA\n"
        "Zip: 01970\nItem: SOAP-LAV x 4 @ 6.50\nItem: SOAP-ROSE x 2\n\n-- \nDee"
    )

    with smtplib.SMTP("127.0.0.1", receiver) as client:
        client.send_message(order)
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.send_message(order, to_addrs=["nobody@inbound.acme.example"])

    [created] = channels.orders()
    assert created["external_id"] == "KV-9001" and created["source"] == "email"
    detail = channels.order(created["id"])
    assert [(li["sku"], li["quantity"], li["price"]) for li in detail["line_items"]] == [
        ("SOAP-LAV", 4, 6.5),
        ("SOAP-ROSE", 2, None),
    ]
    work()
    [reply] = received.messages
    assert "order KV-9001: created" in parsed(reply.content).get_content()


def test_mail_from_a_sender_not_allowed_creates_nothing_and_gets_no_reply(
    channels: Channels, receiver: int, sink: tuple[SmtpSink, int], work: Callable[[], int]
) -> None:
    received, smtp_port = sink
    inbound = f"po-{channels.tenant.account}@inbound.acme.example"
    connection_id = channels.create(
        "email",
        email_settings(smtp_port, inbound_address=inbound, allowed_senders=["trusted@buyer-corp.example"]),
    )
    with smtplib.SMTP("127.0.0.1", receiver) as client:
        client.sendmail("purchasing@buyer-corp.example", [inbound], ORDER_EMAIL)
    work()
    assert channels.orders() == [] and received.messages == []
    [delivery] = channels.deliveries(connection_id)
    assert (delivery["outcome"], delivery["detail"]) == (
        "error",
        "sender purchasing@buyer-corp.example is not in allowed_senders",
    )
