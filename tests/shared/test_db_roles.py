"""One PostgreSQL role per service, on a real server: its own schema's rows, nothing else.

The schemas are migrated as the owner (``devstack.dbroles.migrate_all``, what ``make run``, compose and
the Kubernetes migration Job run); each test then connects as a service's role the way an attacker
holding that service's credentials would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from devstack.dbroles import SERVICES, ensure_roles, migrate_all, runtime_url
from shared.db import Database, runtime_role
from tests.shared.conftest import revision


@pytest.fixture(scope="module")
async def migrated(module_database: str) -> str:
    """A database with every service's schema migrated by the owner; its (owner) URL."""
    await migrate_all(module_database, dict.fromkeys(SERVICES))
    return module_database


async def _connect(url: str, role: str) -> asyncpg.Connection:
    u = make_url(url)
    return await asyncpg.connect(host=u.host, port=u.port, user=role, database=u.database)


@pytest.fixture
async def as_reports(migrated: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await _connect(migrated, runtime_role("reports"))
    yield conn
    await conn.close()


async def _tables(url: str) -> dict[str, list[str]]:
    owner = await _connect(url, "postgres")
    try:
        rows = await owner.fetch(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY($1::text[])", SERVICES
        )
    finally:
        await owner.close()
    tables: dict[str, list[str]] = {s: [] for s in SERVICES}
    for row in rows:
        tables[row["schemaname"]].append(row["tablename"])
    return tables


async def test_a_service_role_reads_and_writes_its_own_schema_only(
    migrated: str, as_reports: asyncpg.Connection
) -> None:
    tables = await _tables(migrated)
    assert "user" in tables["gateway"]
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_reports.fetch('SELECT * FROM gateway."user"')
    for schema in ("ingest", "analytics", "gateway"):
        assert tables[schema], schema
        for table in tables[schema]:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await as_reports.fetch(f'SELECT 1 FROM {schema}."{table}" LIMIT 1')
    # Its own rows it reads and writes, ids from its sequences included.
    for table in tables["reports"]:
        await as_reports.fetch(f'SELECT 1 FROM reports."{table}" LIMIT 1')
    new_id = await as_reports.fetchval(
        "INSERT INTO reports.department (code, name, kind) VALUES ('T-ROLE', 'Role test', 'ward') RETURNING id"
    )
    assert await as_reports.fetchval("DELETE FROM reports.department WHERE id = $1 RETURNING id", new_id) == new_id


async def test_a_service_role_cannot_change_the_structure(as_reports: asyncpg.Connection) -> None:
    allowed = []
    for statement in (
        "CREATE TABLE reports.stolen (x int)",
        "DROP TABLE reports.department",
        "ALTER TABLE reports.department ADD COLUMN x int",
        "TRUNCATE reports.department CASCADE",
        "CREATE SCHEMA stolen",
        "CREATE TABLE public.stolen (x int)",
    ):
        try:
            await as_reports.execute(statement)
            allowed.append(statement)
        except asyncpg.InsufficientPrivilegeError:
            pass
    assert allowed == []
    assert await as_reports.fetchval("SELECT to_regclass('reports.department') IS NOT NULL")


async def test_migrations_run_as_the_owner_and_the_runtime_role_sees_new_tables(
    fresh_database: str, migrations_dir: Path
) -> None:
    await ensure_roles(fresh_database, ["svc"], {"svc": None})
    runtime = runtime_url(fresh_database, "svc")
    db = Database(runtime, schema="svc", migrations_dir=migrations_dir, app_name="t", migration_url=fresh_database)
    try:
        await db.migrate()
        async with db.engine.begin() as conn:
            assert (await conn.execute(text("SELECT current_user"))).scalar_one() == "cityops_svc"
            await conn.execute(text("INSERT INTO svc.thing (name) VALUES ('a')"))
        # A later release adds a table: the owner creates it, the default privileges hand it over.
        (migrations_dir / "versions" / "0002_more.py").write_text(revision("0002", "0001", "more"))
        await db.migrate()
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO svc.more (name) VALUES ('b')"))
            assert (await conn.execute(text("SELECT count(*) FROM svc.more"))).scalar_one() == 1
    finally:
        await db.close()
    # A replica holding only the runtime role starts once the migration is done (nothing left to apply)…
    replica = Database(runtime, schema="svc", migrations_dir=migrations_dir, app_name="t")
    try:
        await replica.migrate()
        # …and cannot apply a pending one itself: it waits for the owner.
        (migrations_dir / "versions" / "0003_late.py").write_text(revision("0003", "0002", "late"))
        with pytest.raises(Exception, match="permission denied"):
            await replica.migrate()
    finally:
        await replica.close()


async def test_migrate_sets_and_rotates_a_role_password_given_in_the_environment(fresh_database: str) -> None:
    """What compose's migrate service and the dev cluster's Job do with CITYOPS_DB_PASSWORD_<SERVICE>."""

    async def stored() -> str:
        owner = await _connect(fresh_database, "postgres")
        try:
            return str(await owner.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = 'cityops_rotated'"))
        finally:
            await owner.close()

    await ensure_roles(fresh_database, ["rotated"], {"rotated": "first-pass'word"})
    first = await stored()
    assert first.startswith("SCRAM-SHA-256$")
    await ensure_roles(fresh_database, ["rotated"], {"rotated": "second-password"})
    second = await stored()
    assert second != first
    # Without a password given the role is left as it is (a role kept by an operator, e.g. CloudNativePG).
    await ensure_roles(fresh_database, ["rotated"], {})
    assert await stored() == second
