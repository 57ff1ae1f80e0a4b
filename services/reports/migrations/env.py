"""Alembic environment of the reports schema; the connection is passed in by shared.db."""

from shared.db import configure_alembic_env

configure_alembic_env()
