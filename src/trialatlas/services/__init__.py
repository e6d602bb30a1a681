"""Services: what users do with the store (ingest, statistics, search, related trials, matching)."""
