"""Database fixtures: every storage test runs on SQLite and on PostgreSQL.

Each test run gets its own SQLite file and its own PostgreSQL schema, so runs (and xdist workers) never
see each other's rows. Tests isolate themselves further by creating their own account.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from warpware.db import Database
from warpware.schema import create_schema

POSTGRES_URL = os.environ.get(
    "WARPWARE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    schema = f"ww_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:  # pragma: no cover - the machine's PostgreSQL is down
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}")
    try:
        yield _postgres_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


_databases: dict[str, Database] = {}


def _database(url: str) -> Database:
    if url not in _databases:
        database = Database(url)
        create_schema(database)
        _databases[url] = database
    return _databases[url]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Database:
    """The real database, once on SQLite and once on PostgreSQL."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return _database(url)


@pytest.fixture
def pg_db(postgres_url: str) -> Database:
    """PostgreSQL only: races, locks and multi-process tests."""
    return _database(postgres_url)


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Database:
    return _database(sqlite_url)


# --- the Partner API over HTTP (in-process ASGI, real database) -----------------------------------

from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

from fastapi.testclient import TestClient  # noqa: E402

from warpware.accounts.service import create_api_key  # noqa: E402
from warpware.app import create_app  # noqa: E402
from warpware.config import Settings  # noqa: E402


@dataclass
class Tenant:
    """A fresh account with one key; `client` sends that key on every request."""

    account: str
    sub_client: str | None
    key: str
    key_id: str
    client: TestClient

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(
            url, headers={"Authorization": f"Bearer {self.key}", **kw.pop("headers", {})}, **kw
        )

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(
            url, headers={"Authorization": f"Bearer {self.key}", **kw.pop("headers", {})}, **kw
        )

    def patch(self, url: str, **kw: Any) -> Any:
        return self.client.patch(
            url, headers={"Authorization": f"Bearer {self.key}", **kw.pop("headers", {})}, **kw
        )

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(
            url, headers={"Authorization": f"Bearer {self.key}", **kw.pop("headers", {})}, **kw
        )


def new_key(
    db: Database,
    *,
    account: str | None = None,
    sub_client: str | None = "warehouse-east",
    scopes: str = "read,write",
    name: str = "Test ERP",
) -> tuple[str, str, str]:
    account = account or f"acct-{uuid.uuid4().hex[:10]}"
    with db.writing() as session:
        created = create_api_key(
            session, account_slug=account, sub_client_slug=sub_client, name=name, scopes=scopes
        )
        return account, created.key, str(created.integration.id)


def settings_for(db: Database, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db.url,
        "rate_limit_backend": "memory",
        "rate_limit_per_minute": 100_000,
        "embedded_worker": False,
        # Revocation must show at once in tests; production caches a resolved key for 1 s.
        "auth_cache_seconds": 0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(db), database=db)) as test_client:
        yield test_client


@pytest.fixture
def tenant(db: Database, client: TestClient) -> Tenant:
    account, key, key_id = new_key(db)
    return Tenant(account, "warehouse-east", key, key_id, client)


@pytest.fixture
def other_tenant(db: Database, client: TestClient) -> Tenant:
    account, key, key_id = new_key(db)
    return Tenant(account, "warehouse-east", key, key_id, client)


def order_body(external_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": external_id or f"ORDER-{uuid.uuid4().hex[:8]}",
        "line_items": [{"sku": "WIDGET-RED-LG", "quantity": 2, "price": 29.99}],
        "shipping_address": {
            "name": "Jane Smith",
            "address1": "123 Main St",
            "city": "New York",
            "state": "NY",
            "zip": "10001",
        },
        "customer_email": "jane@example.com",
        "tags": ["vip"],
    }
    body.update(overrides)
    return body
