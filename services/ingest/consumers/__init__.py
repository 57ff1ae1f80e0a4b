"""Bus subscribers of the ingest service, one module per durable consumer."""
