"""`export.run`: fill a pending export. The rows are read outside the write transaction, so a long
export does not hold the writer; the result and the job's completion then commit together."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from warpware.exports import service
from warpware.worker import JobContext, job_handler

log = logging.getLogger("warpware.exports")


@job_handler(service.JOB)
def run_export(payload: dict[str, Any], ctx: JobContext) -> None:
    export_id = uuid.UUID(str(payload["export_id"]))
    error: str | None = None
    with ctx.database.reading() as session:
        export = service.load(session, export_id)
        if export is None or export.status != "pending":
            return
        try:
            rows_json, count, total = service.collect(session, export)
        except Exception as exc:
            if ctx.attempt < ctx.max_attempts:
                raise  # the worker tries again with backoff
            log.exception("export %s failed", export_id)
            rows_json, count, total, error = b"", 0, 0, f"Export failed: {type(exc).__name__}"
    with ctx.finishing() as session:
        export = service.load(session, export_id, for_update=True)
        if export is None or export.status != "pending":
            return
        if error is not None:
            service.fail(export, error)
        else:
            service.complete(export, rows_json, count, total)
