"""Accounts, sub-clients and API integrations (keys, scopes)."""
