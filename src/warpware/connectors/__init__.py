"""Connectors to sales channels (orders in, tracking out) and fulfillment destinations (orders out)."""
