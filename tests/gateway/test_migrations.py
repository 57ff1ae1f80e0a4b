"""A gateway database of the previous release upgrades forward: its API keys get the default scopes."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.gateway.app import MIGRATIONS_DIR
from tests.databases import upgrade


async def test_keys_issued_before_scopes_may_push_and_read_their_data_only(fresh_database: str) -> None:
    engine = create_async_engine(fresh_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE SCHEMA gateway"))
            await conn.run_sync(upgrade, MIGRATIONS_DIR, "gateway", "0001")
            await conn.execute(
                text(
                    "INSERT INTO gateway.api_key (id, name, prefix, key_hash, departments, created_by) "
                    "VALUES (gen_random_uuid(), 'old push', 'cok_old', 'x', '{TCKH}', 'admin')"
                )
            )
            await conn.run_sync(upgrade, MIGRATIONS_DIR, "gateway", "heads")
            scopes = await conn.scalar(text("SELECT scopes FROM gateway.api_key WHERE prefix = 'cok_old'"))
            default = await conn.scalar(
                text(
                    "SELECT column_default FROM information_schema.columns "
                    "WHERE table_schema = 'gateway' AND table_name = 'api_key' AND column_name = 'scopes'"
                )
            )
    finally:
        await engine.dispose()
    assert scopes == ["data:read", "data:write"]
    # New keys get theirs from the service, never from a forgotten default.
    assert default is None
