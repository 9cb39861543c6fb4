"""The real sandbox warehouse on a free loopback port, shared by the session and reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from warpware.sandbox import SandboxConfig, SandboxServer

CLIENT_ID = "ww-client"
CLIENT_SECRET = "ww-secret"


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[httpx.Client]:
    """A plain HTTP client on the sandbox, after a reset: no orders, no tokens, no faults, ids from 1001."""
    with httpx.Client(base_url=sandbox_server.url, timeout=10) as client:
        client.post("/_sandbox/reset").raise_for_status()
        yield client
