"""Pre-generated shipping labels attached to orders and injected into destinations that take them."""
