"""The `inventory.push` job: send queued pushes to their channel and record each one's outcome."""

from __future__ import annotations

import time
import uuid
from typing import Any

from warpware.connections.models import Connection
from warpware.connections.service import credentials_of, record_call
from warpware.connectors.base import (
    ConnectorError,
    InventoryLevelPush,
    InventoryPushInterrupted,
    RetryableConnectorError,
    SkuPushResult,
)
from warpware.connectors.registry import build_inventory_target, takes_inventory
from warpware.inventory import repository
from warpware.inventory.models import InventoryPush
from warpware.inventory.sync import PUSH_JOB, stored_outcome
from warpware.kit.clock import utcnow
from warpware.worker import JobContext, RetryLater, job_handler

Outcomes = dict[int, tuple[str, str | None]]


def _no_api_reason(connection_type: str) -> str:
    return f"{connection_type} connections have no inventory API in WarpWare's connectors; not pushed"


def _error_text(error: ConnectorError) -> str:
    return f"{error.category}: {error.message}"[:2000]


def _record(
    ctx: JobContext,
    outcomes: Outcomes,
    *,
    finish: bool,
    retrying: tuple[list[int], str] | None = None,
    call: tuple[uuid.UUID, int, ConnectorError | None] | None = None,
) -> None:
    """Store settled outcomes (and, when the job will run again, why the rest wait) in one transaction;
    with `finish`, the job is marked done in it too. `call` goes on the connection's health record."""
    with ctx.finishing() if finish else ctx.database.writing() as session:
        now = utcnow()
        for push in repository.pushes(session, list(outcomes)):
            if push.status != "queued":
                continue
            push.status, push.detail = outcomes[push.id]
            push.attempts += 1
            push.finished_at = now
        if retrying is not None:
            ids, reason = retrying
            for push in repository.pushes(session, ids):
                if push.status == "queued":
                    push.attempts += 1
                    push.detail = f"Will retry: {reason}"[:2000]
        if call is not None:
            connection_id, duration_ms, error = call
            connection = session.get(Connection, connection_id)
            if connection is not None:
                record_call(
                    session,
                    connection,
                    operation="inventory_push",
                    ok=error is None,
                    duration_ms=duration_ms,
                    error=error,
                )


@job_handler(PUSH_JOB)
def push_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Idempotent: only pushes still queued are sent, and each outcome is stored once. One that a newer
    push of the same SKU to the same channel overtook is not sent at all (superseded). The channel's
    connector sets absolute quantities, so a resend after a crash does no harm. A retryable failure
    keeps what was settled and runs the job again (the worker's backoff, or the channel's Retry-After)
    for the rest; on the last attempt, or for a permanent failure, the rest are recorded failed."""
    ids = [int(i) for i in payload.get("push_ids", [])]
    with ctx.database.reading() as session:
        queued: list[InventoryPush] = [p for p in repository.pushes(session, ids) if p.status == "queued"]
        connection = session.get(Connection, queued[0].connection_id) if queued else None
        superseded = {p.id for p in queued if repository.newer_push_exists(session, p)}
        credentials = credentials_of(connection) if connection is not None else {}
    if not queued:
        return
    outcomes: Outcomes = {i: ("superseded", "A newer push of this SKU was queued") for i in superseded}
    live = [p for p in queued if p.id not in superseded]
    if connection is None or connection.deleted_at is not None:
        outcomes.update({p.id: ("skipped", "The channel connection no longer exists") for p in live})
        _record(ctx, outcomes, finish=True)
        return
    if not takes_inventory(connection.type):
        outcomes.update({p.id: ("skipped", _no_api_reason(connection.type)) for p in live})
        _record(ctx, outcomes, finish=True)
        return
    if not live:
        _record(ctx, outcomes, finish=True)
        return

    by_sku: dict[str, list[InventoryPush]] = {}
    for push in live:
        by_sku.setdefault(push.sku, []).append(push)
    # Pushes are in id order, so the last one of a SKU carries its newest quantity.
    levels = [InventoryLevelPush(sku, pushes[-1].quantity) for sku, pushes in by_sku.items()]
    settled, error, duration_ms = _push(connection, credentials, levels)
    for result in settled:
        for push in by_sku.get(result.sku, []):
            outcomes[push.id] = stored_outcome(result)
    unsettled = [p.id for p in live if p.id not in outcomes]
    call = (connection.id, duration_ms, error)
    if unsettled and isinstance(error, RetryableConnectorError) and ctx.attempt < ctx.max_attempts:
        reason = _error_text(error)
        _record(ctx, outcomes, finish=False, retrying=(unsettled, reason), call=call)
        raise RetryLater(error.retry_after, reason)
    detail = _error_text(error) if error is not None else "The channel's connector gave no answer for it"
    outcomes.update({i: ("failed", detail) for i in unsettled})
    _record(ctx, outcomes, finish=True, call=call)


def _push(
    connection: Connection, credentials: dict[str, Any], levels: list[InventoryLevelPush]
) -> tuple[tuple[SkuPushResult, ...], ConnectorError | None, int]:
    """(what the channel settled, the error that stopped the rest, milliseconds spent)."""
    started = time.monotonic()
    target = build_inventory_target(connection.type, connection.settings, credentials)
    try:
        return target.push_inventory(levels).results, None, _since(started)
    except InventoryPushInterrupted as exc:
        return exc.settled, exc.cause, _since(started)
    except ConnectorError as exc:
        return (), exc, _since(started)
    finally:
        target.close()


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
