"""The city at a glance, aggregated from every internal service."""
