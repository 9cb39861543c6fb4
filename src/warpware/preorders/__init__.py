"""Pre-order rules: SKUs whose orders are held (whole, or split into a held child order) until released."""
