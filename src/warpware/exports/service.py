"""Exports as plain functions over a session: create (with its job), read, and fill (the job's work)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.errors import NotFound
from warpware.exports.models import Export
from warpware.exports.rows import COLLECTORS
from warpware.exports.schemas import ROW_LIMIT, ExportCreate, checked_filters
from warpware.kit.clock import utcnow
from warpware.kit.ids import parse_uuid
from warpware.kit.jsonio import dumps
from warpware.worker import enqueue

JOB = "export.run"


def create(session: Session, principal: Principal, body: ExportCreate) -> Export:
    """Store a pending export and its job in the same transaction: a restart loses neither."""
    filters = checked_filters(body.resource, body.filters)
    export = Export(
        account_id=principal.account_id,
        sub_client_id=principal.sub_client_id,
        client_ref=principal.client_id,
        integration_id=principal.integration_id,
        resource=body.resource,
        filters=filters,
        status="pending",
        created_at=utcnow(),
    )
    session.add(export)
    session.flush()
    enqueue(session, JOB, {"export_id": str(export.id)}, dedupe_key=f"{JOB}:{export.id}", max_attempts=3)
    return export


def get(session: Session, principal: Principal, export_id: str) -> Export:
    """The caller's export; 404 for unknown ids, other accounts' and other sub-clients' exports alike."""
    parsed = parse_uuid(export_id)
    query = select(Export).where(Export.id == parsed, Export.account_id == principal.account_id)
    if principal.sub_client_id is not None:
        query = query.where(Export.sub_client_id == principal.sub_client_id)
    export = session.scalars(query).one_or_none() if parsed else None
    if export is None:
        raise NotFound(f"Export {export_id} not found")
    return export


def load(session: Session, export_id: uuid.UUID, *, for_update: bool = False) -> Export | None:
    query = select(Export).where(Export.id == export_id)
    return session.scalars(query.with_for_update() if for_update else query).one_or_none()


def scope_of(export: Export) -> Principal:
    """The key's scope as it was when the export was asked for."""
    account_slug, _, sub_client_slug = export.client_ref.partition(":")
    return Principal(
        account_id=export.account_id,
        account_slug=account_slug,
        integration_id=export.integration_id,
        scopes=frozenset({"read"}),
        sub_client_id=export.sub_client_id,
        sub_client_slug=sub_client_slug or None,
    )


def collect(session: Session, export: Export) -> tuple[bytes, int, int]:
    """(rows as JSON, row count, rows matched): at most ROW_LIMIT rows, newest first."""
    rows, total = COLLECTORS[export.resource](
        session, scope_of(export), dict(export.filters or {}), ROW_LIMIT
    )
    return dumps(rows), len(rows), total


def complete(export: Export, rows_json: bytes, count: int, total: int) -> None:
    export.rows_json = rows_json.decode()
    export.row_count, export.total_matched, export.truncated = count, total, total > count
    export.status, export.completed_at = "complete", utcnow()


def fail(export: Export, message: str) -> None:
    export.status, export.error, export.completed_at = "error", message[:2000], utcnow()
