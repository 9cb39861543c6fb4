"""The `inventory.push` job: send queued pushes to their channel and record each one's outcome."""

from __future__ import annotations

from typing import Any

from warpware.connections.models import Connection
from warpware.connectors.base import ConnectorError, RetryableConnectorError
from warpware.inventory import repository
from warpware.inventory.models import InventoryPush
from warpware.inventory.sync import PUBLISHERS, PUSH_JOB
from warpware.kit.clock import utcnow
from warpware.worker import JobContext, RetryLater, job_handler


def _no_api_reason(connection_type: str) -> str:
    return f"{connection_type} connections have no inventory API in WarpWare's connectors; not pushed"


def _record(ctx: JobContext, outcomes: dict[int, tuple[str, str | None]], *, finish: bool) -> None:
    with ctx.finishing() if finish else ctx.database.writing() as session:
        now = utcnow()
        for push in repository.pushes(session, list(outcomes)):
            if push.status != "queued":
                continue
            push.status, push.detail = outcomes[push.id]
            push.attempts += 1
            push.finished_at = now


@job_handler(PUSH_JOB)
def push_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Idempotent: only pushes still queued are sent. One that a newer push of the same SKU to the same
    channel overtook is not sent at all (superseded). A channel without an inventory API: skipped."""
    ids = [int(i) for i in payload.get("push_ids", [])]
    with ctx.database.reading() as session:
        queued: list[InventoryPush] = [p for p in repository.pushes(session, ids) if p.status == "queued"]
        connection = session.get(Connection, queued[0].connection_id) if queued else None
        superseded = {p.id for p in queued if repository.newer_push_exists(session, p)}
    if not queued:
        return
    outcomes: dict[int, tuple[str, str | None]] = {
        i: ("superseded", "A newer push of this SKU was queued") for i in superseded
    }
    factory = (
        PUBLISHERS.get(connection.type) if connection is not None and connection.deleted_at is None else None
    )
    if factory is None or connection is None:
        reason = (
            _no_api_reason(connection.type)
            if connection is not None and connection.deleted_at is None
            else "The channel connection no longer exists"
        )
        outcomes.update({p.id: ("skipped", reason) for p in queued if p.id not in superseded})
        _record(ctx, outcomes, finish=True)
        return
    publisher = factory(connection)
    for push in queued:
        if push.id in superseded:
            continue
        try:
            publisher.set_available(push.sku, push.quantity)
        except RetryableConnectorError as exc:
            if ctx.attempt < ctx.max_attempts:
                _record(ctx, outcomes, finish=False)  # what went out stays recorded; the rest retries
                raise RetryLater(exc.retry_after, exc.message) from exc
            outcomes[push.id] = ("failed", f"{exc.category}: {exc.message}"[:2000])
        except ConnectorError as exc:
            outcomes[push.id] = ("failed", f"{exc.category}: {exc.message}"[:2000])
        else:
            outcomes[push.id] = ("pushed", None)
    _record(ctx, outcomes, finish=True)
