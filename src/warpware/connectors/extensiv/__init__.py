"""Extensiv 3PL Warehouse Manager: a destination that takes orders, reports tracking and accepts labels."""

from warpware.connectors.extensiv.destination import ExtensivDestination
from warpware.connectors.extensiv.settings import ExtensivCredentials, ExtensivSettings
from warpware.connectors.extensiv.tokens import TokenStore

__all__ = ["ExtensivCredentials", "ExtensivDestination", "ExtensivSettings", "TokenStore"]
