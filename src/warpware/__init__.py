"""WarpWare: order orchestration between sales channels and fulfillment."""

API_VERSION = "2026-02-27"
