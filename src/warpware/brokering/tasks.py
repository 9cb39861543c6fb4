"""Brokering's jobs: a requested run, an account's scheduled run, and the unfillable auto-cancel sweep."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from warpware.accounts.domain import Principal
from warpware.brokering import repository, runs
from warpware.brokering.service import SCHEDULED_RUN, sync_schedule
from warpware.kit.clock import utcnow
from warpware.orders import service as orders_service
from warpware.worker import JobContext, enqueue, job_handler

log = logging.getLogger("warpware.brokering")
RUN = "brokering.run"
AUTO_CANCEL = "brokering.auto_cancel"
AUTO_CANCEL_SECONDS = 60
AUTO_CANCEL_BATCH = 200


def enqueue_run(session: Any, run_id: uuid.UUID) -> None:
    enqueue(session, RUN, {"run_id": str(run_id)}, dedupe_key=f"{RUN}:{run_id}", max_attempts=3)


def _execute(ctx: JobContext, run_id: uuid.UUID) -> None:
    try:
        counts = runs.execute(ctx.database, run_id)
    except Exception as exc:  # the run is recorded as failed with the reason, then the job fails too
        log.exception("brokering run %s failed", run_id)
        with ctx.database.writing() as session:
            runs.finish(session, run_id, None, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    with ctx.finishing() as session:
        runs.finish(session, run_id, counts)


@job_handler(RUN)
def run_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """A run someone asked for (POST /brokering/runs). Safe to repeat: a finished run does nothing."""
    _execute(ctx, uuid.UUID(str(payload["run_id"])))


@job_handler(SCHEDULED_RUN)
def scheduled_run_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """An account's scheduled run: recorded like any other, with trigger `schedule`."""
    account_id = uuid.UUID(str(payload["account_id"]))
    with ctx.database.writing() as session:
        settings = repository.settings_for(session, account_id)
        if settings is None or not settings.enabled:
            return
        if settings.schedule_kind == "daily" and settings.daily_at:
            # Re-anchor the next tick on the account's wall clock (DST moves it by an hour otherwise).
            sync_schedule(session, settings, now=utcnow())
        run_id = runs.start(session, account_id, trigger="schedule", queues=None, requested_by=None).id
    _execute(ctx, run_id)


@job_handler(AUTO_CANCEL)
def auto_cancel_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Cancel unfillable orders whose auto-cancel date has passed, through the ordinary cancel path
    (timeline, `order.cancelled` webhook, stock released, the destination told if it had the order)."""
    with ctx.finishing() as session:
        for order in repository.due_auto_cancels(session, utcnow(), AUTO_CANCEL_BATCH):
            principal = Principal(
                account_id=order.account_id,
                account_slug="",
                integration_id=None,
                scopes=frozenset(),
                sub_client_id=order.sub_client_id,
            )
            state = repository.state_for(session, order.id)
            reason = "Unfillable: no location could fill it before its auto-cancel date"
            if state is not None and state.last_reason:
                reason += f" ({state.last_reason})"
            orders_service.cancel_order(
                session, principal, str(order.id), reason=reason, actor="brokering auto-cancel"
            )
            if state is not None:
                state.auto_cancel_at = None
