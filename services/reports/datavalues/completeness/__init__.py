"""Completeness and timeliness of report forms; overdue reports."""
