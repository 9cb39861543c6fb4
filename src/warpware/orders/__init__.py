"""Orders: the order store, its lifecycle and the Partner API orders endpoints."""
