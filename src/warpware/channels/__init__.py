"""Sales channels pushing orders in: Shopify and WooCommerce webhooks (EDI, email and files follow)."""
