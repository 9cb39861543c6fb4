"""Inventory pushes to Shopify through the Admin GraphQL API.

SKUs are resolved to inventory items with `productVariants(query: "sku:…")` (Shopify's search matches
loosely, so only exact SKUs count), then set at one location with `inventorySetQuantities` (name
"available", absolute quantities, no compare check: WarpWare's count is the truth it publishes).
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
    PermanentConnectorError,
    RetryableConnectorError,
    SkuPushResult,
)
from warpware.connectors.shopify.graphql import ShopifyCredentials, ShopifyGraphQL, ShopifySettings

VARIANTS_BY_SKU_QUERY = """
query WarpwareVariantsBySku($query: String!, $first: Int!, $after: String) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes { id sku inventoryItem { id tracked } }
    pageInfo { hasNextPage endCursor }
  }
}
""".strip()

PRIMARY_LOCATION_QUERY = """
query WarpwarePrimaryLocation {
  location { id name isActive }
}
""".strip()

INVENTORY_SET_MUTATION = """
mutation WarpwareInventorySet($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}
""".strip()

# Shopify's connections return at most 250 nodes; the mutation takes a list we keep to that size too.
MAX_QUANTITIES_PER_MUTATION = 250
# SKUs per search query: the query string stays short, and one page (250 variants) usually holds them all.
SKUS_PER_LOOKUP = 50
PAGE_SIZE = 250


@dataclass(frozen=True)
class _Item:
    inventory_item_id: str
    tracked: bool


def search_term(sku: str) -> str:
    """`sku:"…"` with Shopify search syntax escaping, so a SKU with spaces, colons or quotes stays one
    value."""
    escaped = sku.replace("\\", "\\\\").replace('"', '\\"')
    return f'sku:"{escaped}"'


class ShopifyInventoryTarget:
    """InventoryPushTarget for Shopify: sets the units available of each SKU at the connection's
    location (settings.location_id) or, without one, at the shop's primary location."""

    def __init__(
        self,
        settings: ShopifySettings,
        credentials: ShopifyCredentials,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        self._graphql = ShopifyGraphQL(settings, credentials, client=client)
        self._location_id = settings.location_id

    def close(self) -> None:
        self._graphql.close()

    def push_inventory(self, levels: Sequence[InventoryLevelPush]) -> InventoryPushResult:
        settled: list[SkuPushResult] = []
        wanted = _last_level_per_sku(levels)
        try:
            location_id = self._location()
            items = self._items([level.sku for level in wanted])
            to_set: list[tuple[InventoryLevelPush, str]] = []
            for level in wanted:
                found = items.get(level.sku, [])
                if not found:
                    settled.append(
                        SkuPushResult(
                            level.sku, "not_found", f"Shopify has no variant with SKU {level.sku!r}"
                        )
                    )
                elif len(found) > 1:
                    settled.append(
                        SkuPushResult(
                            level.sku,
                            "failed",
                            f"{len(found)} Shopify variants share SKU {level.sku!r}; not pushed "
                            "(setting each would list the stock more than once)",
                        )
                    )
                elif not found[0].tracked:
                    settled.append(
                        SkuPushResult(
                            level.sku,
                            "failed",
                            f"Shopify does not track inventory for SKU {level.sku!r} (turn on "
                            "'Track quantity' for the variant)",
                        )
                    )
                else:
                    to_set.append((level, found[0].inventory_item_id))
            for start in range(0, len(to_set), MAX_QUANTITIES_PER_MUTATION):
                settled.extend(self._set(to_set[start : start + MAX_QUANTITIES_PER_MUTATION], location_id))
        except ConnectorError as exc:
            if settled:
                raise InventoryPushInterrupted(exc, settled) from exc
            raise
        return InventoryPushResult(tuple(settled))

    def _location(self) -> str:
        if self._location_id is None:
            data = self._graphql.execute(PRIMARY_LOCATION_QUERY)
            location = data.get("location")
            location_id = location.get("id") if isinstance(location, Mapping) else None
            if not isinstance(location_id, str) or not location_id:
                raise PermanentConnectorError(
                    "Shopify reports no primary location; set location_id on the connection",
                    category="validation",
                )
            self._location_id = location_id
        return self._location_id

    def _items(self, skus: Sequence[str]) -> dict[str, list[_Item]]:
        """SKU → the inventory items of the variants whose SKU is exactly it."""
        found: dict[str, list[_Item]] = {}
        wanted = set(skus)
        for start in range(0, len(skus), SKUS_PER_LOOKUP):
            chunk = skus[start : start + SKUS_PER_LOOKUP]
            query = " OR ".join(search_term(sku) for sku in chunk)
            after: str | None = None
            while True:
                data = self._graphql.execute(
                    VARIANTS_BY_SKU_QUERY, {"query": query, "first": PAGE_SIZE, "after": after}
                )
                connection = data.get("productVariants")
                if not isinstance(connection, Mapping):
                    raise RetryableConnectorError(
                        "Shopify answered a variant search without productVariants", category="server"
                    )
                for node in _nodes(connection):
                    sku, item = node.get("sku"), node.get("inventoryItem")
                    if not isinstance(sku, str) or sku not in wanted or not isinstance(item, Mapping):
                        continue
                    item_id = item.get("id")
                    if isinstance(item_id, str) and item_id:
                        found.setdefault(sku, []).append(_Item(item_id, item.get("tracked") is not False))
                page = connection.get("pageInfo")
                cursor = page.get("endCursor") if isinstance(page, Mapping) else None
                if not (isinstance(page, Mapping) and page.get("hasNextPage") is True and cursor):
                    break
                after = str(cursor)
        return found

    def _set(self, batch: list[tuple[InventoryLevelPush, str]], location_id: str) -> list[SkuPushResult]:
        """One mutation per round. Shopify applies all of a mutation's quantities or none, and names a
        refused one by its index; those fail, and the rest are sent again without them."""
        results: list[SkuPushResult] = []
        remaining = list(batch)
        while remaining:
            variables: dict[str, Any] = {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "ignoreCompareQuantity": True,
                    "quantities": [
                        {"inventoryItemId": item_id, "locationId": location_id, "quantity": level.available}
                        for level, item_id in remaining
                    ],
                }
            }
            data = self._graphql.execute(INVENTORY_SET_MUTATION, variables)
            payload = data.get("inventorySetQuantities")
            if not isinstance(payload, Mapping):
                raise RetryableConnectorError(
                    "Shopify inventorySetQuantities returned no payload", category="server"
                )
            errors = [e for e in payload.get("userErrors") or [] if isinstance(e, Mapping)]
            if not errors:
                results.extend(SkuPushResult(level.sku, "pushed") for level, _ in remaining)
                return results
            refused: dict[int, list[str]] = {}
            general: list[str] = []
            for error in errors:
                index = _quantity_index(error.get("field"))
                text = _error_text(error)
                if index is not None and 0 <= index < len(remaining):
                    refused.setdefault(index, []).append(text)
                else:
                    general.append(text)
            if general or not refused:
                # Not tied to one quantity (a bad location, a bad reason): nothing in the batch went in.
                detail = "Shopify inventorySetQuantities: " + "; ".join(
                    general or [_error_text(e) for e in errors]
                )
                results.extend(SkuPushResult(level.sku, "failed", detail[:2000]) for level, _ in remaining)
                return results
            for index, texts in sorted(refused.items()):
                detail = f"Shopify inventorySetQuantities: {'; '.join(texts)}"
                results.append(SkuPushResult(remaining[index][0].sku, "failed", detail[:2000]))
            remaining = [entry for i, entry in enumerate(remaining) if i not in refused]
        return results


def _last_level_per_sku(levels: Sequence[InventoryLevelPush]) -> list[InventoryLevelPush]:
    latest: dict[str, InventoryLevelPush] = {}
    for level in levels:
        latest[level.sku] = level
    return list(latest.values())


def _nodes(connection: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    nodes = connection.get("nodes")
    return [n for n in nodes if isinstance(n, Mapping)] if isinstance(nodes, list) else []


def _quantity_index(field: object) -> int | None:
    # e.g. ["input", "quantities", "3", "inventoryItemId"]
    if not isinstance(field, list):
        return None
    for position, part in enumerate(field[:-1]):
        if part == "quantities":
            following = str(field[position + 1])
            return int(following) if following.isascii() and following.isdigit() else None
    return None


def _error_text(error: Mapping[str, Any]) -> str:
    message = str(error.get("message") or "error")[:300]
    code = error.get("code")
    return f"{message} ({code})" if isinstance(code, str) and code else message
