"""Bus subscribers of the analytics service."""
