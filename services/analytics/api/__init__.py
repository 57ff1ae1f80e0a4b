"""HTTP routes of the analytics service."""
