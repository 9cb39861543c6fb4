"""POST /walter's limits: 10 requests a minute per key (its own bucket), 503 when off, read scope."""

from __future__ import annotations

from sqlalchemy import select, update

from tests.conftest import Tenant, new_key
from warpware.accounts.models import Account
from warpware.db import Database

URL = "/partner/v1/walter"
QUESTION = {"query": "How many orders failed in the last 7 days?"}


def test_ten_requests_a_minute_per_key(db: Database, tenant: Tenant) -> None:
    for i in range(10):
        response = tenant.post(URL, json=QUESTION)
        assert response.status_code == 200, i
        assert response.headers["X-RateLimit-Limit"] == "10"
        assert response.headers["X-RateLimit-Remaining"] == str(9 - i)
    limited = tenant.post(URL, json=QUESTION)
    assert limited.status_code == 429
    retry_after = int(limited.headers["Retry-After"])
    assert 0 < retry_after <= 60
    assert limited.json() == {
        "detail": f"Rate limit exceeded: 10 requests per minute for this API key; retry in {retry_after} s"
    }
    # Other endpoints count in the general bucket, and another key has its own Walter bucket.
    assert tenant.get("/partner/v1/orders").status_code == 200
    _account, key, _ = new_key(db, account=tenant.account, sub_client=None)
    other = tenant.client.post(URL, json=QUESTION, headers={"Authorization": f"Bearer {key}"})
    assert other.status_code == 200


def test_disabled_for_the_account_is_503(db: Database, tenant: Tenant) -> None:
    with db.writing() as session:
        session.execute(update(Account).where(Account.slug == tenant.account).values(walter_enabled=False))
    response = tenant.post(URL, json=QUESTION)
    assert response.status_code == 503
    assert response.json() == {
        "detail": "Walter AI is not enabled for this account. Contact WarpWare support "
        "to enable it before building against this endpoint."
    }
    with db.writing() as session:
        session.execute(update(Account).where(Account.slug == tenant.account).values(walter_enabled=True))
        assert session.scalar(select(Account.walter_enabled).where(Account.slug == tenant.account)) is True
    assert tenant.post(URL, json=QUESTION).status_code == 200


def test_keys_and_scopes(db: Database, tenant: Tenant) -> None:
    _account, key, _ = new_key(db, scopes="read")
    assert (
        tenant.client.post(URL, json=QUESTION, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    )
    assert tenant.client.post(URL, json=QUESTION).status_code == 401
    assert (
        tenant.client.post(
            URL, json=QUESTION, headers={"Authorization": "Bearer ww_live_" + "0" * 32}
        ).status_code
        == 401
    )
