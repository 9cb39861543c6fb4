"""Worker test fixtures: a movable clock, clean job tables, and the side-effect table handlers write."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from warpware.db import Database
from warpware.kit.clock import set_clock
from warpware.worker.models import jobs_table, schedules_table

# Worker processes import the test handlers by module name; this keeps that name importable here too,
# whatever import mode pytest runs in.
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from worker_test_handlers import effects, metadata  # noqa: E402
from worker_test_support import T0, FakeClock  # noqa: E402


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    fake = FakeClock(T0)
    set_clock(fake)
    try:
        yield fake
    finally:
        set_clock(None)


@pytest.fixture(autouse=True)
def _clean_worker_tables(request: pytest.FixtureRequest) -> None:
    """The databases live for the whole run; each worker test starts from empty job tables."""
    for name in ("db", "pg_db", "sqlite_db"):
        if name in request.fixturenames:
            database: Database = request.getfixturevalue(name)
            metadata.create_all(database.engine)
            with database.writing() as session:
                for table in (jobs_table, schedules_table, effects):
                    session.execute(delete(table))
