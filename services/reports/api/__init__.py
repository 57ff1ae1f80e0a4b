"""HTTP routes of the reports service."""
