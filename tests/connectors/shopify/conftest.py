from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fake_shopify import FakeShopify, load_fixture, serve


@pytest.fixture(scope="session")
def _shopify_server() -> Iterator[tuple[FakeShopify, str]]:
    fake = FakeShopify()
    with serve(fake.app) as base_url:
        yield fake, base_url


@pytest.fixture
def shopify(_shopify_server: tuple[FakeShopify, str]) -> FakeShopify:
    fake, _ = _shopify_server
    fake.reset()
    return fake


@pytest.fixture
def shopify_url(_shopify_server: tuple[FakeShopify, str]) -> str:
    return _shopify_server[1]


@pytest.fixture
def order_payload() -> dict[str, Any]:
    return load_fixture("order_null_sku.json")
