"""Inventory pushes to WooCommerce through the wc/v3 REST API.

SKUs are looked up with `GET /products?sku=A,B,…` (Woo then searches variations too; a variation
comes back with its `parent_id`), and stock is set with the batch endpoints: `POST /products/batch`
for products, `POST /products/{parent}/variations/batch` for variations (Woo refuses a variation in
the products batch). Every update turns stock management on, so the quantity is what the shop sells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from warpware.connectors.base import (
    ConnectorError,
    InventoryLevelPush,
    InventoryPushInterrupted,
    InventoryPushResult,
    RetryableConnectorError,
    SkuPushResult,
)
from warpware.connectors.woocommerce.client import (
    WooCommerceClient,
    WooCommerceCredentials,
    WooCommerceSettings,
)

# Woo's batch endpoints refuse more than 100 objects (woocommerce_rest_batch_items_limit).
MAX_BATCH = 100
SKUS_PER_LOOKUP = 50
PAGE_SIZE = 100


@dataclass(frozen=True)
class _Product:
    id: int
    parent_id: int  # 0 for a product, the variable product's id for a variation


class WooCommerceInventoryTarget:
    """InventoryPushTarget for WooCommerce: sets `stock_quantity` (with `manage_stock`) of the product or
    variation carrying each SKU."""

    def __init__(
        self,
        settings: WooCommerceSettings,
        credentials: WooCommerceCredentials,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        self._api = WooCommerceClient(settings, credentials, client=client)

    def close(self) -> None:
        self._api.close()

    def push_inventory(self, levels: Sequence[InventoryLevelPush]) -> InventoryPushResult:
        settled: list[SkuPushResult] = []
        latest: dict[str, InventoryLevelPush] = {}
        for level in levels:
            latest[level.sku] = level
        try:
            products = self._lookup(list(latest))
            groups: dict[int, list[tuple[InventoryLevelPush, _Product]]] = {}
            for sku, level in latest.items():
                found = products.get(sku, [])
                if not found:
                    settled.append(
                        SkuPushResult(sku, "not_found", f"WooCommerce has no product with SKU {sku!r}")
                    )
                elif len(found) > 1:
                    settled.append(
                        SkuPushResult(
                            sku, "failed", f"{len(found)} WooCommerce products share SKU {sku!r}; not pushed"
                        )
                    )
                else:
                    groups.setdefault(found[0].parent_id, []).append((level, found[0]))
            for parent_id, entries in sorted(groups.items()):
                path = "/products/batch" if parent_id == 0 else f"/products/{parent_id}/variations/batch"
                for start in range(0, len(entries), MAX_BATCH):
                    settled.extend(self._update(path, entries[start : start + MAX_BATCH]))
        except ConnectorError as exc:
            if settled:
                raise InventoryPushInterrupted(exc, settled) from exc
            raise
        return InventoryPushResult(tuple(settled))

    def _lookup(self, skus: Sequence[str]) -> dict[str, list[_Product]]:
        """SKU → the products and variations whose SKU is exactly it."""
        # Woo splits the sku parameter on commas, so a SKU holding one is looked up on its own
        # (Woo also matches the whole string then).
        plain = [sku for sku in skus if "," not in sku]
        queries = [plain[i : i + SKUS_PER_LOOKUP] for i in range(0, len(plain), SKUS_PER_LOOKUP)]
        queries += [[sku] for sku in skus if "," in sku]
        wanted = set(skus)
        found: dict[str, list[_Product]] = {}
        seen: set[int] = set()
        for chunk in queries:
            page = 1
            while True:
                rows = self._api.request(
                    "GET",
                    "/products",
                    params={"sku": ",".join(chunk), "per_page": str(PAGE_SIZE), "page": str(page)},
                )
                if not isinstance(rows, list):
                    raise RetryableConnectorError(
                        "WooCommerce answered a product search without a list", category="server"
                    )
                for row in rows:
                    product = _product(row)
                    sku = row.get("sku") if isinstance(row, Mapping) else None
                    if product is None or not isinstance(sku, str) or sku not in wanted:
                        continue
                    if product.id not in seen:
                        seen.add(product.id)
                        found.setdefault(sku, []).append(product)
                if len(rows) < PAGE_SIZE:
                    break
                page += 1
        return found

    def _update(self, path: str, entries: list[tuple[InventoryLevelPush, _Product]]) -> list[SkuPushResult]:
        body = {
            "update": [
                {"id": product.id, "manage_stock": True, "stock_quantity": level.available}
                for level, product in entries
            ]
        }
        answer = self._api.request("POST", path, json_body=body)
        updated = answer.get("update") if isinstance(answer, Mapping) else None
        if not isinstance(updated, list):
            raise RetryableConnectorError(
                f"WooCommerce answered {path} without an update list", category="server"
            )
        by_id: dict[int, Mapping[str, Any]] = {}
        for item in updated:
            if isinstance(item, Mapping) and isinstance(item.get("id"), int):
                by_id.setdefault(int(item["id"]), item)
        results: list[SkuPushResult] = []
        for level, product in entries:
            item = by_id.get(product.id)
            error = item.get("error") if item is not None else None
            if item is None:
                results.append(
                    SkuPushResult(
                        level.sku, "failed", f"WooCommerce {path} did not answer for id {product.id}"
                    )
                )
            elif isinstance(error, Mapping):
                message = str(error.get("message") or "error")[:300]
                code = error.get("code")
                detail = f"WooCommerce refused the update: {message}" + (
                    f" ({code})" if isinstance(code, str) else ""
                )
                results.append(SkuPushResult(level.sku, "failed", detail))
            else:
                results.append(SkuPushResult(level.sku, "pushed"))
        return results


def _product(row: object) -> _Product | None:
    if not isinstance(row, Mapping):
        return None
    product_id, parent_id = row.get("id"), row.get("parent_id", 0)
    if not isinstance(product_id, int) or isinstance(product_id, bool) or product_id <= 0:
        return None
    # A variation carries its variable product's id; a product carries 0.
    is_variation = row.get("type") == "variation"
    parent = parent_id if isinstance(parent_id, int) and not isinstance(parent_id, bool) else 0
    return _Product(product_id, parent if is_variation and parent > 0 else 0)
