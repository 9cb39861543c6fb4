from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fake_woocommerce import WOO_FIXTURES, FakeWooCommerce, serve


@pytest.fixture(scope="session")
def _woo_server() -> Iterator[tuple[FakeWooCommerce, str]]:
    fake = FakeWooCommerce()
    with serve(fake.app) as base_url:
        yield fake, base_url


@pytest.fixture
def woo(_woo_server: tuple[FakeWooCommerce, str]) -> FakeWooCommerce:
    fake, _ = _woo_server
    fake.reset()
    return fake


@pytest.fixture
def woo_url(_woo_server: tuple[FakeWooCommerce, str]) -> str:
    return _woo_server[1]


@pytest.fixture
def woo_order() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((WOO_FIXTURES / "order.json").read_text())
    return data
