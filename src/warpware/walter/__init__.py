"""Walter AI: plain-English questions about the caller's own orders, answered by query tools."""
