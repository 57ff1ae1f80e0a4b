"""Bus subscribers of the reports service, one module per consumer."""
