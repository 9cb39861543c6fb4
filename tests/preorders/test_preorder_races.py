"""PostgreSQL: a release waits for evaluations that read the rule; two holding rules for a SKU never land."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.conftest import new_key
from warpware.accounts.models import Account
from warpware.db import Database
from warpware.kit.clock import utcnow
from warpware.preorders import repository, service
from warpware.preorders.models import PreorderRule
from warpware.preorders.stage import preorder_definitions


def _account(db: Database) -> uuid.UUID:
    slug, _key, _ = new_key(db)
    with db.reading() as session:
        return session.scalars(select(Account.id).where(Account.slug == slug)).one()


def _rule(db: Database, account_id: uuid.UUID, sku: str = "PRE-1") -> PreorderRule:
    now = utcnow()
    with db.writing() as session:
        rule = PreorderRule(
            account_id=account_id,
            sku=sku,
            sku_key=sku.casefold(),
            name=sku,
            hold_mode="split",
            status="holding",
            created_at=now,
            updated_at=now,
        )
        session.add(rule)
    return rule


def test_release_waits_for_an_evaluation_reading_the_rule(pg_db: Database) -> None:
    account_id = _account(pg_db)
    rule = _rule(pg_db, account_id)
    reading = threading.Event()
    seen: list[int] = []

    def evaluation() -> None:
        with pg_db.writing() as session:
            seen.append(len(preorder_definitions(session, account_id, now=utcnow())))
            reading.set()
            time.sleep(0.6)  # the evaluation would hold orders here, then commit

    thread = threading.Thread(target=evaluation)
    thread.start()
    assert reading.wait(5)
    started = time.monotonic()
    with pg_db.writing() as session:
        locked = repository.get(session, account_id, rule.id, for_update=True)
        assert locked is not None
        waited = time.monotonic() - started
        service.release_rule(session, locked, actor="test")
    thread.join()
    assert seen == [1] and waited >= 0.4
    with pg_db.writing() as session:  # an evaluation after the release no longer sees the rule
        assert preorder_definitions(session, account_id, now=utcnow()) == []


@pytest.mark.parametrize("case_variant", ["PRE-2", "pre-2"])
def test_one_holding_rule_per_sku_in_the_database(db: Database, case_variant: str) -> None:
    account_id = _account(db)
    _rule(db, account_id, "PRE-2")
    with pytest.raises(IntegrityError):
        _rule(db, account_id, case_variant)
