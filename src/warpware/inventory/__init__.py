"""Stock: locations, levels per SKU and location, adjustments, order commitments and channel pushes."""
