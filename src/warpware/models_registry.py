"""Imports every package's models so Base.metadata knows all tables (Alembic and tests use it)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "warpware.accounts.models",
    "warpware.orders.models",
    "warpware.worker.models",
    "warpware.connections.models",
    "warpware.automation.models",
    "warpware.channels.models",
    "warpware.webhooks.models",
    "warpware.channels.file_models",
    "warpware.preorders.models",
    "warpware.exports.models",
    "warpware.products.models",
    "warpware.inventory.models",
    "warpware.labels.models",
    "warpware.shipments.models",
    "warpware.users.models",
    "warpware.brokering.models",
)


def load_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
