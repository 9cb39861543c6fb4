from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_shipstation import FakeShipStation, serve


@pytest.fixture(scope="session")
def _shipstation_server() -> Iterator[tuple[FakeShipStation, str]]:
    fake = FakeShipStation()
    with serve(fake.app) as base_url:
        yield fake, base_url


@pytest.fixture
def shipstation(_shipstation_server: tuple[FakeShipStation, str]) -> FakeShipStation:
    fake, _ = _shipstation_server
    fake.reset()
    return fake


@pytest.fixture
def shipstation_url(_shipstation_server: tuple[FakeShipStation, str]) -> str:
    return _shipstation_server[1]
