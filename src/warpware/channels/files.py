"""CSV and Excel order files: a configurable column mapping, rows sharing an external_id form one order.

A file is checked completely before anything is written. If any row is wrong (a missing value, a
quantity that is not a whole number, an address that differs between rows of one order) the file is
rejected whole and every row gets its reason; otherwise all its orders are ingested in one transaction
and every row reports created or duplicate (the order existed already). See docs/file-import.md.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from warpware.channels.channel_settings import CsvCredentials, CsvFormat, CsvSettings
from warpware.channels.intake import FileResult, RowResult, claim, finish, ingest_all, sha256_key, summary
from warpware.channels.outbox import add_document, find_document, mark_delivered, mark_failed
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
from warpware.orders import repository as orders_repository
from warpware.orders.schemas import OrderCreate

TOPIC = "file:orders"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_REQUIRED = ("external_id", "sku", "quantity", "ship_name", "address1", "city")
# Order-level fields: every row of an order must agree on them (or leave them empty).
_ORDER_FIELDS = (
    "customer_name",
    "email",
    "ship_name",
    "ship_company",
    "address1",
    "address2",
    "city",
    "state",
    "zip",
    "country",
    "phone",
    "note",
    "service_level",
    "carrier",
)
_WHOLE = re.compile(r"^\d+(\.0+)?$")
_MAX_ROWS = 50_000


class TableError(ValueError):
    """The file cannot be read as a table at all (not CSV, not an Excel workbook, no header)."""


@dataclass(frozen=True)
class ParsedTable:
    orders: list[tuple[NormalizedOrder, tuple[int, ...]]]
    rows: list[RowResult]  # only rows with errors
    row_count: int
    # Every data row's number and external id, in file order.
    row_ids: list[tuple[int, str | None]]


def read_table(filename: str, data: bytes, fmt: CsvFormat) -> list[list[str]]:
    """Every record as text, the header first. Excel numbers keep their shortest form (8, 12.5)."""
    if filename.lower().endswith(EXCEL_SUFFIXES):
        return _read_excel(data, fmt.sheet)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise TableError(f"{filename} is not a text file (it contains NUL bytes)")
    try:
        return [
            row for row in csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter, strict=True)
        ]
    except csv.Error as exc:
        raise TableError(f"{filename} is not valid CSV: {exc}") from None


def _read_excel(data: bytes, sheet: str | None) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(f"not an Excel .xlsx workbook ({exc.__class__.__name__})") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise TableError(f"workbook has no sheet {sheet!r} (sheets: {', '.join(workbook.sheetnames)})")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        return [[_cell(value) for value in row] for row in worksheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    return str(value)


def parse_orders(filename: str, data: bytes, fmt: CsvFormat) -> ParsedTable:
    """Orders from an order file, or every row's problem. Raises TableError when there is no table."""
    records = read_table(filename, data, fmt)
    if not records or not any(cell.strip() for cell in records[0]):
        raise TableError(f"{filename} has no header row")
    header = {cell.strip().lower(): index for index, cell in enumerate(records[0]) if cell.strip()}
    columns = fmt.columns.model_dump()
    missing = [f"{columns[f]!r} ({f})" for f in _REQUIRED if columns[f].strip().lower() not in header]
    if missing:
        raise TableError(
            f"{filename} lacks required column(s) {', '.join(missing)}; found "
            f"{', '.join(repr(c.strip()) for c in records[0] if c.strip())}"
        )
    if len(records) - 1 > _MAX_ROWS:
        raise TableError(f"{filename} has {len(records) - 1} rows; at most {_MAX_ROWS} per file")
    where = {name: header.get(str(col).strip().lower()) for name, col in columns.items() if col is not None}
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    errors: list[RowResult] = []
    row_ids: list[tuple[int, str | None]] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        values = {
            name: record[i].strip() if i is not None and i < len(record) else "" for name, i in where.items()
        }
        row_ids.append((number, values["external_id"] or None))
        if not values["external_id"]:
            errors.append(RowResult(number, None, "error", f"{columns['external_id']} is empty"))
            continue
        groups.setdefault(values["external_id"], []).append((number, values))
    orders: list[tuple[NormalizedOrder, tuple[int, ...]]] = []
    for external_id, rows in groups.items():
        order, problems = _order(external_id, rows, fmt, filename)
        errors.extend(problems)
        if order is not None and not problems:
            orders.append((order, tuple(n for n, _ in rows)))
    if not row_ids:
        raise TableError(f"{filename} has a header but no data rows")
    return ParsedTable(orders, sorted(errors, key=lambda r: r.row), len(row_ids), row_ids)


def _order(
    external_id: str, rows: list[tuple[int, dict[str, str]]], fmt: CsvFormat, filename: str
) -> tuple[NormalizedOrder | None, list[RowResult]]:
    names = fmt.columns.model_dump()
    problems: dict[int, list[str]] = {}
    first_number, first = rows[0]
    head = {f: first.get(f, "") for f in _ORDER_FIELDS}
    lines: list[dict[str, Any]] = []
    line_rows: list[int] = []
    tags: list[str] = []
    for number, values in rows:
        found = problems.setdefault(number, [])
        for field in _ORDER_FIELDS:
            value = values.get(field, "")
            if not value:
                continue
            if not head[field]:
                head[field] = value
            elif value != head[field]:
                found.append(
                    f"{names[field]} {value!r} differs from {head[field]!r} on row {first_number} "
                    "of the same order"
                )
        quantity = values["quantity"]
        if not _WHOLE.match(quantity) or int(Decimal(quantity)) < 1:
            found.append(f"{names['quantity']} {quantity!r} is not a whole number of at least 1")
        price = _price(values.get("price", ""))
        if price is None and values.get("price"):
            found.append(f"{names['price']} {values['price']!r} is not an amount")
        if not values["sku"]:
            found.append(f"{names['sku']} is empty")
        if values.get("tags"):
            tags.extend(t.strip() for t in values["tags"].split(fmt.tag_separator) if t.strip())
        lines.append(
            {
                "sku": values["sku"] or "?",
                "quantity": int(Decimal(quantity)) if _WHOLE.match(quantity) else 1,
                "price": price,
                "name": values.get("item_name") or None,
            }
        )
        line_rows.append(number)
    body = {
        "external_id": external_id,
        "line_items": lines,
        "customer_email": head["email"] or None,
        "customer_name": head["customer_name"] or None,
        "note": head["note"] or None,
        "tags": tags,
        "source": fmt.source,
        "shipping_address": {
            "name": head["ship_name"],
            "address1": head["address1"],
            "address2": head["address2"] or None,
            "city": head["city"],
            "state": head["state"] or ("" if _domestic(head, fmt) else "-"),
            "zip": head["zip"] or ("" if _domestic(head, fmt) else "-"),
            "country": head["country"] or fmt.default_country,
            "phone": head["phone"] or None,
        },
    }
    try:
        payload = OrderCreate.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error.get("loc", ()))
            number = (
                line_rows[loc[1]]
                if len(loc) > 1 and loc[0] == "line_items" and isinstance(loc[1], int)
                else first_number
            )
            field = _column_label(loc, names)
            problems[number].append(f"{field}: {error.get('msg', 'invalid')}")
    results = [
        RowResult(n, external_id, "error", "; ".join(dict.fromkeys(p))) for n, p in problems.items() if p
    ]
    if results:
        return None, results
    address = payload.shipping_address
    return NormalizedOrder(
        external_id=payload.external_id,
        source=fmt.source,
        line_items=tuple(
            LineItem(sku=li.sku, quantity=li.quantity, price=li.price, name=li.name)
            for li in payload.line_items
        ),
        shipping_address=Address(
            name=address.name,
            address1=address.address1,
            address2=address.address2 or None,
            city=address.city,
            state="" if address.state == "-" else address.state,
            zip="" if address.zip == "-" else address.zip,
            country=address.country,
            phone=address.phone or None,
            company=head["ship_company"] or None,
        ),
        customer_email=payload.customer_email,
        customer_name=payload.customer_name,
        note=payload.note,
        tags=tuple(payload.tags),
        metadata={"file": filename, "rows": [n for n, _ in rows]},
        channel_order_id=external_id,
        service_level=head["service_level"] or None,
        carrier=head["carrier"] or None,
    ), []


def _domestic(head: Mapping[str, str], fmt: CsvFormat) -> bool:
    # State and zip are required for US addresses only; abroad many places have neither.
    return (head["country"] or fmt.default_country).upper() == "US"


def _column_label(loc: tuple[Any, ...], names: Mapping[str, Any]) -> str:
    field = str(loc[-1]) if loc else "row"
    aliases = {"name": "ship_name" if "shipping_address" in loc else "item_name", "customer_email": "email"}
    key = aliases.get(field, field)
    return str(names.get(key) or key)


def _price(text: str) -> Decimal | None:
    cleaned = text.replace("$", "").replace(",", "").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def process_table(
    session: Session,
    connection: Connection,
    filename: str,
    data: bytes,
    fmt: CsvFormat,
    *,
    delivery_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> FileResult:
    """Import an order file in the caller's transaction (all of it, or none of it with every reason)."""
    delivery = delivery_id or sha256_key(data)
    if not claim(session, connection, delivery, TOPIC):
        return FileResult(filename, "duplicate", f"{filename} was already received; nothing imported again")
    try:
        parsed = parse_orders(filename, data, fmt)
    except TableError as exc:
        result = FileResult(filename, "rejected", f"{filename} rejected, nothing imported: {exc}")
        finish(session, connection, delivery, result)
        return result
    if parsed.rows:
        bad = {r.row for r in parsed.rows}
        rows = list(parsed.rows) + [
            RowResult(n, external_id, "not_imported", "file rejected for other rows")
            for n, external_id in parsed.row_ids
            if n not in bad
        ]
        result = FileResult(
            filename,
            "rejected",
            f"{filename} rejected, nothing imported: {len(bad)} of {parsed.row_count} row(s) have errors",
            rows=tuple(sorted(rows, key=lambda r: r.row)),
        )
        finish(session, connection, delivery, result)
        return result
    orders = [o if not metadata else _with_metadata(o, metadata) for o, _ in parsed.orders]
    outcomes = ingest_all(session, connection, orders)
    rows_out = [
        RowResult(
            n,
            outcome.external_id,
            outcome.outcome,
            None if outcome.outcome == "created" else "order already imported",
            outcome.order_id,
        )
        for outcome, (_, numbers) in zip(outcomes, parsed.orders, strict=True)
        for n in numbers
    ]
    outcomes = [
        type(o)(o.external_id, o.outcome, o.order_id, numbers)
        for o, (_, numbers) in zip(outcomes, parsed.orders, strict=True)
    ]
    result = FileResult(
        filename,
        "accepted",
        f"{filename}: {summary(outcomes)}",
        orders=tuple(outcomes),
        rows=tuple(sorted(rows_out, key=lambda r: r.row)),
    )
    finish(session, connection, delivery, result)
    return result


def _with_metadata(order: NormalizedOrder, extra: Mapping[str, Any]) -> NormalizedOrder:
    return dataclasses.replace(order, metadata={**order.metadata, **extra})


def results_csv(result: FileResult) -> str:
    """Every row's outcome, for the sender of a picked-up file (written to the outbox)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "external_id", "outcome", "reason", "order_id"])
    if not result.rows:
        writer.writerow(["", "", result.outcome, result.detail, ""])
    for row in result.rows:
        writer.writerow(
            [
                row.row,
                row.external_id or "",
                row.outcome,
                row.reason or "",
                str(row.order_id) if row.order_id else "",
            ]
        )
    return out.getvalue()


def process_csv_file(session: Session, connection: Connection, filename: str, data: bytes) -> FileResult:
    """A file picked up from a csv connection's folder: imported, and its results file queued."""
    settings = CsvSettings.model_validate(connection.settings)
    result = process_table(session, connection, filename, data, settings.format)
    if settings.write_results and result.outcome != "duplicate":
        document = add_document(
            session,
            connection,
            kind="csv_results",
            dedupe_key=f"results:{sha256_key(data)}",
            filename=f"{filename}.results.csv",
            content=results_csv(result),
            deliver_by_job=settings.transport != "upload",
        )
        result = FileResult(
            result.filename, result.outcome, result.detail, result.orders, result.rows, (document.filename,)
        )
    return result


class CsvTrackingWriter:
    """Shipment confirmations for file partners: a one-order CSV in the outbox (kept for download on
    upload-only connections)."""

    def __init__(self, settings: CsvSettings, credentials: CsvCredentials) -> None:
        self.settings = settings
        self.credentials = credentials

    def test(self) -> None:
        if self.settings.transport != "upload":
            with open_box(self.settings, self.credentials) as box:
                box.list("inbox")

    def write_tracking(self, notice: ShipmentNotice) -> None:
        database = channel_database()
        with database.writing() as session:
            connection = _order_connection(session, notice)
            key = f"shipment:{notice.order_id}:{notice.tracking_number}"
            document = find_document(session, connection.id, key) or add_document(
                session,
                connection,
                kind="shipment_csv",
                dedupe_key=key,
                order_id=uuid.UUID(notice.order_id),
                filename=f"shipment_{_file_safe(notice.external_id)}_{_file_safe(notice.tracking_number)}.csv",
                content=shipment_csv(notice),
                deliver_by_job=False,
            )
            document_id, filename, content, done = (
                document.id,
                document.filename,
                document.content,
                document.status == "delivered",
            )
        if done or self.settings.transport == "upload":
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


def shipment_csv(notice: ShipmentNotice) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "external_id",
            "order_id",
            "carrier",
            "service_level",
            "tracking_number",
            "shipped_at",
            "sku",
            "quantity",
        ]
    )
    shipped = notice.shipped_at.isoformat() if notice.shipped_at else ""
    for line in notice.line_items or (LineItem(sku="", quantity=0),):
        writer.writerow(
            [
                notice.external_id,
                notice.order_id,
                notice.carrier or "",
                notice.service_level or "",
                notice.tracking_number,
                shipped,
                line.sku,
                line.quantity or "",
            ]
        )
    return out.getvalue()


def _file_safe(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", value).strip("-")[:60] or "order"


def _order_connection(session: Session, notice: ShipmentNotice) -> Connection:
    order = orders_repository.get_order_unscoped(session, uuid.UUID(notice.order_id))
    connection = (
        session.get(Connection, order.channel_connection_id)
        if order and order.channel_connection_id
        else None
    )
    if connection is None:
        raise PermanentConnectorError(
            f"order {notice.order_id} has no channel connection", category="validation"
        )
    return connection
