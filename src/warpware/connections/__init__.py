"""Connections: named fulfillment destinations and sales channels with encrypted credentials."""
