"""ShopMonkey ingestion: the webhook inbox, the order-processing service, the poller and the catalog sync."""
