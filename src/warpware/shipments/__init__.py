"""Warehouse-level shipments pushed through the Partner API: orders pinned to a warehouse."""
