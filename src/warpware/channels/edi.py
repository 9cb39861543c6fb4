"""The EDI X12 channel: 850 purchase orders in (whole interchanges or nothing), 997s and 856s out.

A file is accepted only when every transaction set in it maps to an order; then all its orders are
ingested in the caller's one transaction, with one 997 per received interchange (a 997 set per
functional group) queued for the partner. Anything wrong rejects the file whole: nothing is imported,
the delivery is recorded with the reason, and a 997 saying which sets were rejected is queued.
Deduplication: an accepted interchange is known by its sender and ISA13 control number, a rejected
file by its SHA-256 (so a corrected file may reuse the control number).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session

from warpware.channels.channel_settings import EdiCredentials, EdiSettings
from warpware.channels.intake import FileResult, claim, finish, ingest_all, sha256_key, summary
from warpware.channels.outbox import add_document, find_document, mark_delivered, mark_failed, next_number
from warpware.channels.runtime import channel_database
from warpware.channels.transports import open_box
from warpware.connections.models import Connection
from warpware.connectors.base import (
    Address,
    LineItem,
    NormalizedOrder,
    PermanentConnectorError,
    ShipmentNotice,
)
from warpware.connectors.edi import (
    DEFAULT_SEPARATORS,
    AsnPurchaseOrder,
    Interchange,
    OutboundGroup,
    Party,
    X12Error,
    acknowledge,
    build_856,
    check_850,
    parse_850,
    read_interchanges,
    write_997,
    write_interchange,
)
from warpware.kit.clock import utcnow
from warpware.orders import repository as orders_repository
from warpware.orders.models import Order
from warpware.pipeline.evaluation import TEST_ORDER_TAG

TOPIC = "edi:850"
COUNTER = "interchange"


def decode(data: bytes) -> str:
    # X12 is ASCII in practice; Latin-1 reads any byte, so an odd character cannot lose the file.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _party(qualifier: str, party_id: str) -> str:
    return f"{qualifier}:{party_id}"


def _addressing_problem(interchanges: list[Interchange], settings: EdiSettings) -> str | None:
    for ic in interchanges:
        if (ic.receiver_qualifier, ic.receiver_id) != (settings.isa_qualifier, settings.isa_id):
            return (
                f"interchange {ic.control_number} is addressed to "
                f"{_party(ic.receiver_qualifier, ic.receiver_id)}, not to this connection's "
                f"{_party(settings.isa_qualifier, settings.isa_id)}"
            )
        if settings.partner_isa_id is not None and (
            ic.sender_id != settings.partner_isa_id
            or (settings.partner_isa_qualifier and ic.sender_qualifier != settings.partner_isa_qualifier)
        ):
            return (
                f"interchange {ic.control_number} comes from {_party(ic.sender_qualifier, ic.sender_id)}, "
                f"not from this connection's partner {settings.partner_isa_qualifier or '??'}:"
                f"{settings.partner_isa_id}"
            )
    return None


def process_x12(session: Session, connection: Connection, filename: str, data: bytes) -> FileResult:
    """Import one file's 850s in the caller's transaction, or reject the file whole with the reason."""
    settings = EdiSettings.model_validate(connection.settings)
    text = decode(data)
    file_key = sha256_key(data)
    try:
        interchanges = read_interchanges(text)
    except X12Error as exc:
        return _reject(
            session,
            connection,
            settings,
            filename,
            file_key,
            [],
            f"{filename} is not an X12 interchange: {exc.reason}",
        )
    misaddressed = _addressing_problem(interchanges, settings)
    if misaddressed is not None:
        # Not for us: acknowledging it would answer in another party's name.
        return _reject(
            session,
            connection,
            settings,
            filename,
            file_key,
            [],
            f"{filename} rejected whole, nothing imported: {misaddressed}",
        )
    try:
        orders = parse_850(text, item_qualifiers=settings.item_qualifiers)
    except X12Error as exc:
        return _reject(
            session,
            connection,
            settings,
            filename,
            file_key,
            interchanges,
            f"{filename} rejected whole, nothing imported: {exc.reason}",
        )
    delivery = "x12:" + "+".join(
        f"{ic.sender_qualifier}/{ic.sender_id}/{ic.control_number}" for ic in interchanges
    )
    if not claim(session, connection, delivery, TOPIC):
        return FileResult(
            filename,
            "duplicate",
            f"{filename}: interchange "
            f"{', '.join(ic.control_number for ic in interchanges)} from "
            f"{_party(interchanges[0].sender_qualifier, interchanges[0].sender_id)} was already "
            "received; nothing imported again",
        )
    test_controls = {ic.control_number for ic in interchanges if ic.usage == "T"}
    outcomes = ingest_all(session, connection, [_prepared(o, test_controls) for o in orders])
    documents = _queue_997s(session, connection, settings, interchanges, file_key)
    result = FileResult(
        filename, "accepted", f"{filename}: {summary(outcomes)}", orders=tuple(outcomes), documents=documents
    )
    finish(session, connection, delivery, result)
    return result


def _prepared(order: NormalizedOrder, test_controls: set[str]) -> NormalizedOrder:
    metadata: dict[str, Any] = dict(order.metadata)
    if order.order_date is not None:
        # Destinations read the channel's order date from here (ShipStation's orderDate), the 856 its PRF04.
        metadata["order_date"] = order.order_date.isoformat()
    tags = order.tags
    if metadata.get("edi", {}).get("interchange_control") in test_controls:
        # ISA15=T: a partner's test file. Its orders are evaluated and routed, never sent to a warehouse.
        tags = (*tags, TEST_ORDER_TAG)
    return dataclasses.replace(order, metadata=metadata, tags=tags)


def _reject(
    session: Session,
    connection: Connection,
    settings: EdiSettings,
    filename: str,
    file_key: str,
    interchanges: list[Interchange],
    reason: str,
) -> FileResult:
    if not claim(session, connection, file_key, TOPIC):
        return FileResult(
            filename, "duplicate", f"{reason} (this same file was already received and rejected)"
        )
    documents = _queue_997s(session, connection, settings, interchanges, file_key)
    result = FileResult(filename, "rejected", reason, documents=documents)
    finish(session, connection, file_key, result)
    return result


def _queue_997s(
    session: Session,
    connection: Connection,
    settings: EdiSettings,
    interchanges: list[Interchange],
    file_key: str,
) -> tuple[str, ...]:
    """One 997 interchange per received interchange, acknowledging each of its groups."""
    if not settings.send_997:
        return ()
    names: list[str] = []
    for ic in interchanges:
        if not ic.groups:
            continue
        acks = acknowledge(ic, set_errors=check_850(ic, item_qualifiers=settings.item_qualifiers))
        number = next_number(session, connection.id, COUNTER)
        content = write_997(
            ic,
            acks,
            control_number=number,
            group_control_number=number,
            created_at=utcnow(),
            line_break="\n" if settings.segment_line_breaks else "",
        )
        filename = f"997_{number:09d}_{ic.sender_id}_{ic.control_number}.edi"
        document = add_document(
            session,
            connection,
            kind="997",
            dedupe_key=f"997:{file_key}:{ic.control_number}",
            filename=filename,
            content=content,
            deliver_by_job=settings.transport != "upload",
        )
        names.append(document.filename)
    return tuple(names)


# --- the 856 ship notice ----------------------------------------------------------------------------


def _address(data: dict[str, Any]) -> Address:
    return Address(
        name=data.get("name") or "",
        address1=data.get("address1") or "",
        city=data.get("city") or "",
        state=data.get("state") or "",
        zip=data.get("zip") or "",
        country=data.get("country") or "US",
        address2=data.get("address2"),
        phone=data.get("phone"),
        company=data.get("company"),
    )


def _po_date(meta: dict[str, Any]) -> dt.date | None:
    value = meta.get("order_date")
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def asn_purchase_order(order: Order, lines: list[LineItem]) -> AsnPurchaseOrder:
    """What the 856 echoes, from the order as stored (its metadata keeps what the 850 said)."""
    meta = dict(order.meta or {})
    return AsnPurchaseOrder(
        po_number=order.channel_order_id or order.external_id,
        ship_to=_address(order.shipping_address or {}),
        lines=tuple(lines),
        product_ids=tuple(meta.get("line_product_ids") or ()),
        ship_to_location=meta.get("ship_to_location"),
        ship_to_location_qualifier=meta.get("ship_to_location_qualifier") or "92",
        po_date=_po_date(meta),
    )


def render_856(
    order: Order,
    lines: list[LineItem],
    notice: ShipmentNotice,
    settings: EdiSettings,
    *,
    control_number: int,
    created_at: dt.datetime,
) -> str:
    meta = dict(order.meta or {})
    edi = meta.get("edi") or {}
    partner = edi.get("sender") or {}
    if not partner.get("id"):
        raise PermanentConnectorError(
            f"order {order.external_id} has no EDI partner id in its metadata; it did not come from an 850",
            category="validation",
        )
    group_version = str(edi.get("version") or "004010")
    isa_version = group_version[:5] if group_version[:5].isdigit() else "00401"
    separators = DEFAULT_SEPARATORS
    if isa_version >= "00402":
        separators = dataclasses.replace(DEFAULT_SEPARATORS, repetition="^")
    asn = build_856(
        notice,
        asn_purchase_order(order, lines),
        shipment_id=notice.tracking_number,
        control_number="0001",
        created_at=created_at,
        separators=separators,
    )
    group = OutboundGroup("SH", control_number, (asn,), version=group_version)
    return write_interchange(
        [group],
        sender=Party(settings.isa_qualifier, settings.isa_id),
        receiver=Party(str(partner.get("qualifier") or "ZZ"), str(partner["id"])),
        control_number=control_number,
        created_at=created_at,
        separators=separators,
        version=isa_version,
        line_break="\n" if settings.segment_line_breaks else "",
    )


class EdiTrackingWriter:
    """Writes tracking back to a trading partner as an 856, delivered by the connection's transport.

    The 856 is stored once per (order, tracking number) before it is sent, so a retry sends the same
    interchange with the same control number rather than a second ASN.
    """

    def __init__(self, settings: EdiSettings, credentials: EdiCredentials) -> None:
        self.settings = settings
        self.credentials = credentials

    def test(self) -> None:
        if self.settings.transport != "upload":
            with open_box(self.settings, self.credentials) as box:
                box.list("inbox")

    def write_tracking(self, notice: ShipmentNotice) -> None:
        database = channel_database()
        with database.writing() as session:
            order = orders_repository.get_order_unscoped(session, uuid.UUID(notice.order_id))
            if order is None or order.channel_connection_id is None:
                raise PermanentConnectorError(
                    f"order {notice.order_id} is not an EDI order", category="validation"
                )
            connection = session.get(Connection, order.channel_connection_id)
            assert connection is not None
            lines = [
                LineItem(
                    sku=li.sku,
                    quantity=li.quantity,
                    price=li.price,
                    name=li.name,
                    uom=li.uom,
                    channel_line_id=li.channel_line_id,
                )
                for li in orders_repository.lines_for(session, [order.id])[order.id]
            ]
            key = f"856:{order.id}:{notice.tracking_number}"
            document = find_document(session, connection.id, key)
            if document is None:
                number = next_number(session, connection.id, COUNTER)
                content = render_856(
                    order, lines, notice, self.settings, control_number=number, created_at=utcnow()
                )
                document = add_document(
                    session,
                    connection,
                    kind="856",
                    dedupe_key=key,
                    order_id=order.id,
                    content=content,
                    filename=f"856_{number:09d}_{order.channel_order_id or order.external_id}.edi",
                    deliver_by_job=False,
                )
            document_id, filename, content, delivered = (
                document.id,
                document.filename,
                document.content,
                document.status == "delivered",
            )
        if delivered or self.settings.transport == "upload":
            return
        try:
            with open_box(self.settings, self.credentials) as box:
                box.write("outbox", filename, content.encode())
        except Exception as exc:
            with database.writing() as session:
                mark_failed(session, document_id, str(exc))
            raise
        with database.writing() as session:
            mark_delivered(session, document_id)
