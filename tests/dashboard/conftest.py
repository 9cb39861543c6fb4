"""Dashboard fixtures: users with roles, signed-in HTTP clients, a live server and a real Chromium.

Browser tests drive Debian's /usr/bin/chromium through Playwright (the Makefile installs it); no
browser is ever downloaded. Screenshots go to build/screenshots/ (not committed).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import new_key, order_body, settings_for
from tests.servers import thread_server
from warpware.app import create_app
from warpware.db import Database
from warpware.users.service import create_user

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Login:
    account: str
    email: str
    password: str
    role: str


def make_user(
    db: Database, account: str, role: str, *, email: str | None = None, password: str = PASSWORD
) -> Login:
    """A user of `account` (which must exist) with `role`; returns what they sign in with."""
    email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    with db.writing() as session:
        create_user(
            session, account_slug=account, email=email, password=password, role=role, name=role.title()
        )
    return Login(account=account, email=email, password=password, role=role)


@dataclass
class Shop:
    """An account with an API key (to push orders through the Partner API) and its dashboard users."""

    db: Database
    account: str
    key: str
    client: TestClient

    def push(self, external_id: str | None = None, **overrides: Any) -> dict[str, Any]:
        response = self.client.post(
            "/partner/v1/orders",
            json=order_body(external_id, **overrides),
            headers={"Authorization": f"Bearer {self.key}"},
        )
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def user(self, role: str, **kw: Any) -> Login:
        return make_user(self.db, self.account, role, **kw)


@pytest.fixture
def shop(db: Database, client: TestClient) -> Shop:
    account, key, _ = new_key(db, sub_client=None)
    return Shop(db=db, account=account, key=key, client=client)


@pytest.fixture
def other_shop(db: Database, client: TestClient) -> Shop:
    account, key, _ = new_key(db, sub_client=None)
    return Shop(db=db, account=account, key=key, client=client)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@pytest.fixture
def browser_client(db: Database) -> Iterator[TestClient]:
    """A second client of the same app, with its own cookie jar (a person's browser)."""
    with TestClient(create_app(settings_for(db), database=db), follow_redirects=False) as test_client:
        yield test_client


def sign_in(client: TestClient, login: Login) -> str:
    """Sign in through the form; returns the session's CSRF token (from the next page)."""
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": login.email, "password": login.password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/orders").text)


# --- a real browser ----------------------------------------------------------------------------------


@pytest.fixture
def live_server(db: Database) -> Iterator[str]:
    """The real app served by uvicorn over the test database; yields its base URL."""
    with thread_server(create_app(settings_for(db), database=db)) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    )
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG under build/screenshots/ (an artifact of the run, not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
