"""The master catalog: one product per SKU and client, from the Partner API or discovered on orders."""
