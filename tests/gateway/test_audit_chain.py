"""The audit log's hash chain on a real PostgreSQL: lines from before the trail are chained by the
migration, concurrent writers keep one chain, the check command names a tampered line, and neither the
service role nor (without disabling the trigger) the owner can change or remove a line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from devstack.dbroles import ensure_roles, runtime_url
from services.gateway.app import MIGRATIONS_DIR
from services.gateway.audit import service as audit
from services.gateway.audit.verify import check_chain
from shared.db import Database, runtime_role
from tests.databases import upgrade
from tests.support import ROOT


async def _record(db: Database, n: int) -> None:
    """A clip export, or every third line a contact read (a case, subjects, a detail)."""
    contact = audit.Access(kind=audit.CONTACT_READ, case_id=str(n), subject=(f"{n:064x}", "f" * 64), reason="call")
    await audit.record(
        database=db,
        actor=f"user:u{n}",
        method="GET",
        path=f"/api/v1/cameras/cam-{n}/clip.mp4",
        status=200,
        client="203.0.113.9",
        detail=f"contacts of case:{n}" if n % 3 == 2 else None,
        access=contact if n % 3 == 2 else audit.Access(kind=audit.CLIP_EXPORT, camera=f"cam-{n}", reason=f"case {n}"),
    )


async def _check(db: Database) -> tuple[int, int | None]:
    async with db.session() as session:
        result = await check_chain(session)
    return result.records, result.broken


async def _connect(url: str, role: str) -> asyncpg.Connection:
    u = make_url(url)
    return await asyncpg.connect(host=u.host, port=u.port, user=role, database=u.database)


def _verify_command(url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CITYOPS_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "services.gateway.audit.verify"], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
async def split_roles(fresh_database: str) -> AsyncIterator[Database]:
    """The gateway's schema migrated by the owner and run as its own role (cityops_gateway)."""
    await ensure_roles(fresh_database, ["gateway"], {"gateway": None})
    db = Database(
        runtime_url(fresh_database, "gateway"),
        schema="gateway",
        migrations_dir=MIGRATIONS_DIR,
        app_name="t",
        migration_url=fresh_database,
    )
    await db.start()
    await db.wait_ready(30)
    yield db
    await db.close()


async def test_lines_from_before_are_chained_and_concurrent_writers_keep_one_chain(fresh_database: str) -> None:
    engine = create_async_engine(fresh_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE SCHEMA gateway"))
            await conn.run_sync(upgrade, MIGRATIONS_DIR, "gateway", "0006")
            for n in range(3):
                await conn.execute(
                    text(
                        "INSERT INTO gateway.audit_log (actor, method, path, status, client) "
                        "VALUES (:a, 'POST', '/api/v1/users', 201, '10.0.0.1')"
                    ),
                    {"a": f"user:old{n}"},
                )
            await conn.run_sync(upgrade, MIGRATIONS_DIR, "gateway", "heads")
            kinds = (await conn.execute(text("SELECT DISTINCT kind FROM gateway.audit_log"))).scalars().all()
    finally:
        await engine.dispose()
    assert kinds == ["write"]
    db = Database(fresh_database, schema="gateway", migrations_dir=MIGRATIONS_DIR, app_name="t")
    await db.start()
    try:
        await db.wait_ready(30)
        assert await _check(db) == (3, None)
        # Two replicas are two pools: twenty writers at once still make one chain, no fork.
        await asyncio.gather(*(_record(db, n) for n in range(20)))
        assert await _check(db) == (23, None)
    finally:
        await db.close()


async def test_the_service_role_only_appends_and_the_check_names_a_tampered_line(
    split_roles: Database, fresh_database: str
) -> None:
    for n in range(3):
        await _record(split_roles, n)
    ok = _verify_command(fresh_database)
    assert (ok.returncode, ok.stdout.split(" (")[0]) == (0, "3 records, chain intact"), ok.stderr
    service = await _connect(fresh_database, runtime_role("gateway"))
    try:
        for statement in (
            "UPDATE gateway.audit_log SET reason = 'nothing to see'",
            "DELETE FROM gateway.audit_log",
            "TRUNCATE gateway.audit_log",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                await service.execute(statement)
    finally:
        await service.close()
    owner = await _connect(fresh_database, "postgres")
    try:
        second = await owner.fetchval("SELECT id FROM gateway.audit_log ORDER BY id OFFSET 1 LIMIT 1")
        # The owner is refused too, by the trigger, unless it disables it first.
        for statement in ("UPDATE gateway.audit_log SET reason = 'x'", "TRUNCATE gateway.audit_log"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await owner.execute(statement)
        await owner.execute("ALTER TABLE gateway.audit_log DISABLE TRIGGER append_only")
        await owner.execute("UPDATE gateway.audit_log SET camera = 'elsewhere' WHERE id = $1", second)
        await owner.execute("ALTER TABLE gateway.audit_log ENABLE TRIGGER append_only")
    finally:
        await owner.close()
    assert await _check(split_roles) == (1, second)
    tampered = _verify_command(fresh_database)
    assert tampered.returncode == 1
    assert tampered.stdout.startswith(f"record {second}: hash does not match"), tampered.stdout
