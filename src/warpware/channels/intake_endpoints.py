"""File uploads for the EDI and CSV channels, inbox polling control, outbound documents, and the
ShipStation SHIP_NOTIFY trigger.

Uploads live under /partner/v1 with the Partner API's key auth and its JSON-only body rule: the file
travels as {"filename", "content", "encoding"}, where encoding "base64" carries binary files (.xlsx).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import select
from starlette.responses import Response

from warpware.accounts.auth import require_read, require_write
from warpware.accounts.domain import Principal
from warpware.channels import outbox
from warpware.channels.channel_settings import CsvSettings
from warpware.channels.edi import process_x12
from warpware.channels.file_models import ChannelDocument
from warpware.channels.files import EXCEL_SUFFIXES, process_table
from warpware.channels.intake import FileResult
from warpware.channels.models import ChannelDelivery
from warpware.channels.shipstation import queue_ship_notify
from warpware.channels.tasks import POLL_JOB, poll_key, sync_polling
from warpware.connections import repository as connections_repository
from warpware.connections.models import Connection
from warpware.connectors.shipstation import ShipNotifyError, parse_ship_notify
from warpware.db import Database
from warpware.errors import BadRequest, NotFound, Unprocessable
from warpware.kit.ids import parse_uuid
from warpware.kit.jsonio import envelope, json_response
from warpware.worker import enqueue
from warpware.worker.repository import schedule_group

router = APIRouter(tags=["file channels"])
hooks = APIRouter(tags=["inbound hooks"])

_MAX_UPLOAD_CHARS = 28_000_000


class FileUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    content: Annotated[str, StringConstraints(max_length=_MAX_UPLOAD_CHARS)]
    encoding: Literal["text", "base64"] = "text"


def _db(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _connection(session: Any, principal: Principal, connection_id: str, kinds: tuple[str, ...]) -> Connection:
    parsed = parse_uuid(connection_id)
    connection = connections_repository.get(session, principal.account_id, parsed) if parsed else None
    if connection is None or connection.type not in kinds:
        raise NotFound(f"No {' or '.join(kinds)} connection {connection_id}")
    return connection


def _bytes(upload: FileUpload) -> bytes:
    if upload.encoding == "text":
        if upload.filename.lower().endswith(EXCEL_SUFFIXES):
            raise Unprocessable('Excel files must be sent with encoding "base64"')
        return upload.content.encode("utf-8")
    try:
        return base64.b64decode(upload.content, validate=True)
    except (binascii.Error, ValueError):
        raise Unprocessable("content is not valid base64") from None


def _answer(result: FileResult) -> Response:
    data = result.as_dict()
    if result.outcome == "rejected":
        return json_response({"detail": result.detail, "data": data}, status_code=422)
    if result.outcome == "duplicate":
        return json_response({"detail": result.detail, "data": data}, status_code=409)
    return envelope(data, status_code=201 if result.created else 200)


@router.post("/channels/edi/{connection_id}/files", summary="Upload an X12 file of 850 purchase orders")
def upload_edi(
    connection_id: str, body: FileUpload, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    data = _bytes(body)
    with _db(request).writing() as session:
        connection = _connection(session, principal, connection_id, ("edi",))
        result = process_x12(session, connection, body.filename, data)
    return _answer(result)


@router.post("/channels/csv/{connection_id}/files", summary="Upload a CSV or Excel order file")
def upload_csv(
    connection_id: str, body: FileUpload, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    data = _bytes(body)
    with _db(request).writing() as session:
        connection = _connection(session, principal, connection_id, ("csv",))
        settings = CsvSettings.model_validate(connection.settings)
        result = process_table(session, connection, body.filename, data, settings.format)
    return _answer(result)


@router.post("/channels/{connection_id}/poll", summary="Start (or update) inbox polling and poll now")
def poll_now(connection_id: str, request: Request, principal: Principal = Depends(require_write)) -> Response:
    with _db(request).writing() as session:
        connection = _connection(session, principal, connection_id, ("edi", "csv", "email"))
        every = sync_polling(session, connection)
        if every is None:
            raise Unprocessable(
                f"{connection.type} connection {connection_id} has no inbox to poll "
                "(transport upload, or no imap_host)"
            )
        # Same ordering key as the schedule's ticks: one poll of an inbox at a time, or two could take a file.
        group = schedule_group(poll_key(connection.id))
        enqueue(session, POLL_JOB, {"connection_id": str(connection.id)}, ordering_key=group, group_key=group)
    return envelope({"connection_id": connection.id, "poll_seconds": every, "queued": True}, status_code=202)


@router.get("/channels/{connection_id}/deliveries", summary="Files and emails received, with their outcome")
def list_deliveries(
    connection_id: str,
    request: Request,
    limit: int = Query(50, ge=1, le=200),
    principal: Principal = Depends(require_read),
) -> Response:
    with _db(request).reading() as session:
        connection = _connection(
            session, principal, connection_id, ("edi", "csv", "email", "shopify", "woocommerce")
        )
        rows = list(
            session.scalars(
                select(ChannelDelivery)
                .where(ChannelDelivery.connection_id == connection.id)
                .order_by(ChannelDelivery.id.desc())
                .limit(limit)
            )
        )
    return envelope(
        [
            {
                "delivery_id": r.delivery_id,
                "topic": r.topic,
                "outcome": r.outcome,
                "detail": r.detail,
                "order_id": r.order_id,
                "received_at": r.received_at,
            }
            for r in rows
        ],
        {"count": len(rows)},
    )


def _document(document: ChannelDocument, *, content: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": document.id,
        "kind": document.kind,
        "filename": document.filename,
        "status": document.status,
        "order_id": document.order_id,
        "attempts": document.attempts,
        "last_error": document.last_error,
        "created_at": document.created_at,
        "delivered_at": document.delivered_at,
    }
    if content:
        data["content"] = document.content
    return data


@router.get("/channels/{connection_id}/documents", summary="Documents sent back (997, 856, results, replies)")
def list_documents(
    connection_id: str,
    request: Request,
    kind: str | None = Query(None, max_length=40),
    principal: Principal = Depends(require_read),
) -> Response:
    with _db(request).reading() as session:
        connection = _connection(session, principal, connection_id, ("edi", "csv", "email"))
        documents = outbox.documents_for(session, connection.id, kind=kind)
    return envelope([_document(d, content=False) for d in documents], {"count": len(documents)})


@router.get("/channels/{connection_id}/documents/{document_id}", summary="One document, with its content")
def get_document(
    connection_id: str, document_id: int, request: Request, principal: Principal = Depends(require_read)
) -> Response:
    with _db(request).reading() as session:
        connection = _connection(session, principal, connection_id, ("edi", "csv", "email"))
        document = session.get(ChannelDocument, document_id)
        if document is None or document.connection_id != connection.id:
            raise NotFound(f"No document {document_id} on connection {connection_id}")
    return envelope(_document(document, content=True))


@hooks.post(
    "/hooks/shipstation/{connection_id}", summary="ShipStation SHIP_NOTIFY (unsigned: a trigger only)"
)
async def shipstation_notify(connection_id: str, request: Request) -> Response:
    body = await request.body()
    try:
        event = parse_ship_notify(body)
    except ShipNotifyError as exc:
        if isinstance(exc.__context__, json.JSONDecodeError):
            raise BadRequest(str(exc)) from None
        raise Unprocessable(str(exc)) from None
    parsed = parse_uuid(connection_id)
    with _db(request).writing() as session:
        connection = session.get(Connection, parsed) if parsed else None
        if connection is None or connection.deleted_at is not None or connection.type != "shipstation":
            raise NotFound(f"No shipstation connection {connection_id}")
        try:
            job_id = queue_ship_notify(session, connection, event.resource_url)
        except ShipNotifyError as exc:
            raise Unprocessable(str(exc)) from None
    return json_response(
        {"data": {"queued": job_id is not None, "resource_type": event.resource_type}, "meta": {}},
        status_code=202,
    )
