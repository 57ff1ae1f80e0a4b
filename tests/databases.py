"""Database helpers of the tests: an empty database of its own on the test PostgreSQL, and a service's
Alembic migrations run to a given revision on an open connection (the upgrade tests start from an old one)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from devstack.servers import PostgresServer


def create_database(pg_server: PostgresServer, prefix: str) -> str:
    """A new empty database named ``<prefix>_<random>``; its SQLAlchemy URL. From synchronous code only."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(host=pg_server.host, port=pg_server.port, user="postgres", database="postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return pg_server.url(name)


def upgrade(connection: Connection, migrations_dir: Path, schema: str, revision: str) -> None:
    """Run the migrations in ``migrations_dir`` on ``connection`` up to ``revision`` (for ``run_sync``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    command.upgrade(cfg, revision)
