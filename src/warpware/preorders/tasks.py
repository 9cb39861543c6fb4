"""The scheduled release of a pre-order rule whose release date arrived."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from warpware.preorders import service
from warpware.worker import JobContext, job_handler

log = logging.getLogger("warpware.preorders")


@job_handler("preorder.release")
def release_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Enqueued with run_at = the release date when the rule is created. Safe to run twice: a released
    rule is left alone."""
    with ctx.finishing() as session:
        released = service.release_if_due(session, uuid.UUID(str(payload["rule_id"])))
    if released is not None:
        log.info("pre-order rule %s released on its date: %d order(s)", payload["rule_id"], released)
