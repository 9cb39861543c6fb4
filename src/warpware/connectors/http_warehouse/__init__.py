"""A generic HTTP warehouse: our order JSON POSTed to a URL, signed like our webhooks."""

from warpware.connectors.http_warehouse.destination import HttpWarehouseDestination, HttpWarehouseSettings

__all__ = ["HttpWarehouseDestination", "HttpWarehouseSettings"]
