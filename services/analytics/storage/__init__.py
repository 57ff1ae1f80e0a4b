"""Persistence of the analytics schema: rules, alerts (with events and snapshots), minute counts."""
