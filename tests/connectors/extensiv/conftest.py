"""The real sandbox warehouse on a free loopback port, shared by the session and reset before each test."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from pydantic import SecretStr

from warpware.connectors.base import Address, LineItem, OutboundOrder
from warpware.connectors.extensiv import (
    ExtensivCredentials,
    ExtensivDestination,
    ExtensivSettings,
    TokenStore,
)
from warpware.connectors.ratelimit import RateLimiter
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


class FakeClock:
    """A monotonic clock that moves only when told, for token-expiry and rate-limit timing."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        # Recorded, not slept: the test checks how long the limiter asked to wait.
        self.sleeps.append(seconds)


@pytest.fixture
def make_destination(
    sandbox_server: SandboxServer, sandbox: httpx.Client
) -> Iterator[Callable[..., ExtensivDestination]]:
    """Destinations on the sandbox, each with its own token store so token counts start at zero."""
    made: list[ExtensivDestination] = []

    def make(
        *,
        client_secret: str = CLIENT_SECRET,
        read_timeout: float = 15.0,
        base_url: str | None = None,
        clock: Callable[[], float] | None = None,
        rate_limiter: RateLimiter | None = None,
        token_store: TokenStore | None = None,
        client: httpx.Client | None = None,
    ) -> ExtensivDestination:
        settings = ExtensivSettings(
            base_url=base_url or sandbox_server.url,
            customer_id=17,
            facility_id=3,
            user_login_id="ww-integration",
            read_timeout=read_timeout,
        )
        credentials = ExtensivCredentials(client_id=CLIENT_ID, client_secret=SecretStr(client_secret))
        destination = ExtensivDestination(
            settings,
            credentials,
            rate_limiter=rate_limiter,
            token_store=token_store or TokenStore(),
            clock=clock or time.monotonic,
            client=client,
        )
        made.append(destination)
        return destination

    yield make
    for destination in made:
        destination.close()


@pytest.fixture
def destination(make_destination: Callable[..., ExtensivDestination]) -> ExtensivDestination:
    return make_destination()


REFERENCE = "0b5c6a52-5f0e-4a53-9d44-0b7f3f4a1c01"


def _outbound_order(
    reference: str = REFERENCE,
    *,
    skus: tuple[str, ...] = ("WW-MUG",),
    carrier: str | None = "UPS",
    service_level: str | None = "Ground",
) -> OutboundOrder:
    return OutboundOrder(
        reference=reference,
        external_id="#1042",
        line_items=tuple(LineItem(sku=sku, quantity=index + 2) for index, sku in enumerate(skus)),
        shipping_address=Address(
            name="Ada Lovelace",
            address1="12 Analytical Way",
            address2="Suite 3",
            city="Portland",
            state="OR",
            zip="97201",
            country="US",
            phone="+1 503 555 0100",
            company="Engines Ltd",
        ),
        customer_email="ada@example.com",
        note="Gift wrap",
        carrier=carrier,
        service_level=service_level,
        metadata={"shipping_notes": "Leave at the door"},
    )


@pytest.fixture
def make_order() -> Callable[..., OutboundOrder]:
    """Orders as the worker hands them over: make_order(reference, skus=, carrier=, service_level=)."""
    return _outbound_order


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
