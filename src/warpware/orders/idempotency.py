"""X-Idempotency-Key on POST /orders: a repeat within 24 h replays the original status and body.

The key's row is inserted first, in the same transaction as the order. A concurrent request with the
same key blocks on that row (PostgreSQL's unique index wait; SQLite's single writer) until the first
commits, then finds it and replays it: two requests, one order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from warpware.accounts.domain import Principal
from warpware.db import Database
from warpware.errors import BadRequest, Unprocessable
from warpware.kit.clock import utcnow
from warpware.kit.jsonio import dumps, json_response
from warpware.orders import repository
from warpware.orders.models import IdempotencyRecord

WINDOW = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


def _hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _replay(record: IdempotencyRecord, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        raise Unprocessable("X-Idempotency-Key was already used with a different request body")
    return Response(
        record.response_body,
        status_code=record.status_code,
        media_type="application/json",
        headers={"X-Idempotent-Replayed": "true"},
    )


def run_once(
    database: Database,
    principal: Principal,
    key: str | None,
    body: dict[str, Any],
    operation: Callable[[Session], tuple[int, dict[str, Any]]],
) -> Response:
    """Run `operation` in a write transaction, at most once per (account, key) within 24 hours."""
    if key is None:
        with database.writing() as session:
            status, payload = operation(session)
        return json_response(payload, status_code=status)
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise BadRequest(f"X-Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    request_hash = _hash(body)
    try:
        with database.writing() as session:
            record = repository.idempotency_record(session, principal.account_id, key)
            if record is not None and utcnow() - record.created_at < WINDOW:
                return _replay(record, request_hash)
            if record is not None:
                repository.delete_idempotency_record(session, record)
            record = IdempotencyRecord(
                account_id=principal.account_id,
                key=key,
                request_hash=request_hash,
                status_code=0,
                response_body="",
                created_at=utcnow(),
            )
            session.add(record)
            session.flush()
            status, payload = operation(session)
            record.status_code = status
            record.response_body = dumps(payload).decode()
        return json_response(payload, status_code=status)
    except IntegrityError:
        # Another request with this key committed first: answer what it answered.
        with database.reading() as session:
            record = repository.idempotency_record(session, principal.account_id, key)
            if record is None:
                raise
            return _replay(record, request_hash)
