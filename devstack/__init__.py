"""Developer stack: embedded NATS and PostgreSQL from PyPI wheels, and the `make run` launcher.

Used by `make run` and by the test fixtures; no service imports it.
"""
