"""Forwarding public routes to the internal services: the table, the upstream client, the relay."""
