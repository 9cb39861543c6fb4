"""Job handlers registered by name, and the context each one is called with."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from warpware.db import Database
from warpware.kit.clock import utcnow
from warpware.worker.errors import LeaseLost
from warpware.worker.repository import finish_job


@dataclass
class JobContext:
    """What a running job knows about itself, and how it finishes inside its own transaction."""

    database: Database
    job_id: int
    name: str
    attempt: int
    max_attempts: int
    worker_id: str
    # Set once finish() succeeded, so the runner does not mark the job done a second time.
    finished: bool = field(default=False, init=False)

    def finish(self, session: Session) -> None:
        """Mark this job done in `session`'s transaction; raises LeaseLost if this attempt lost the job.

        Raising makes the caller's transaction roll back, so a stale attempt's writes never land.
        """
        if not finish_job(session, self.job_id, self.attempt, now=utcnow()):
            raise LeaseLost(self.job_id, self.attempt)
        self.finished = True

    @contextmanager
    def finishing(self) -> Iterator[Session]:
        """A write transaction that also marks the job done: its writes and "done" commit together.

        The fence is checked first, so a stale attempt fails before it writes anything (and on
        PostgreSQL the job's row stays locked until commit, so no one can claim it in between).
        """
        with self.database.writing() as session:
            self.finish(session)
            yield session


Handler = Callable[[dict[str, Any], JobContext], None]

_handlers: dict[str, Handler] = {}


def job_handler(name: str) -> Callable[[Handler], Handler]:
    """Register `fn(payload, ctx)` as the handler for jobs called `name`.

    Handlers take ids in the payload, reload their rows, and are idempotent: a job can run again after
    its worker died between doing the work and recording it.
    """

    def register(fn: Handler) -> Handler:
        existing = _handlers.get(name)
        if existing is not None and _origin(existing) != _origin(fn):
            raise ValueError(f"job {name!r} already has a handler: {_origin(existing)}")
        _handlers[name] = fn
        return fn

    return register


def _origin(fn: Handler) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"


def get_handler(name: str) -> Handler | None:
    return _handlers.get(name)


def registered_names() -> frozenset[str]:
    return frozenset(_handlers)


def load_handler_modules(modules: Iterable[str]) -> None:
    """Import the modules whose @job_handler decorators register the handlers a worker runs."""
    for module in modules:
        importlib.import_module(module)
