"""Alerts: lifecycle rows, snapshots, history queries and acknowledgement."""
