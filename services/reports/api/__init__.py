"""Thin HTTP routers of the reports service, one sub-package per area."""
