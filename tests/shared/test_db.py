"""shared.db against a real PostgreSQL: concurrent idempotent migrations, unit of work, readiness."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from shared.db import Database
from shared.errors import UnavailableError


async def test_replicas_migrating_at_once_apply_each_revision_once(fresh_database: str, migrations_dir: Path) -> None:
    dbs = [Database(fresh_database, schema="svc", migrations_dir=migrations_dir, app_name="t") for _ in range(3)]
    try:
        await asyncio.gather(*(db.migrate() for db in dbs))
        await dbs[0].migrate()
        async with dbs[0].engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM svc.alembic_version"))).scalar_one()
            assert version == "0001"
            assert (await conn.execute(text("SELECT count(*) FROM svc.thing"))).scalar_one() == 0
    finally:
        for db in dbs:
            await db.close()


async def test_unit_of_work_commits_on_success_and_rolls_back_on_error(
    fresh_database: str, migrations_dir: Path
) -> None:
    db = Database(fresh_database, schema="svc", migrations_dir=migrations_dir, app_name="t")
    await db.start()
    await db.wait_ready(15)
    try:
        async with db.session() as session:
            await session.execute(text("INSERT INTO svc.thing (id, name) VALUES (1, 'kept')"))

        async def failing_unit_of_work() -> None:
            async with db.session() as session:
                await session.execute(text("INSERT INTO svc.thing (id, name) VALUES (2, 'lost')"))
                raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            await failing_unit_of_work()
        async with db.session() as session:
            names = (await session.execute(text("SELECT name FROM svc.thing ORDER BY id"))).scalars().all()
        assert names == ["kept"]
        await db.ping(2.0)
    finally:
        await db.close()


async def test_not_ready_database_refuses_sessions_with_503(pg_server) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{pg_server.port}/no_such_db"
    db = Database(url, schema="svc", migrations_dir=None, app_name="t")
    await db.start()
    try:
        await asyncio.sleep(0.5)
        with pytest.raises(UnavailableError):
            await db.ping(1.0)
        with pytest.raises(UnavailableError):
            async with db.session():
                pass
    finally:
        await db.close()


async def test_values_the_database_refuses_are_a_422_naming_the_request(fresh_database: str) -> None:
    import httpx
    from fastapi import FastAPI

    from shared.problems import add_problem_handlers

    db = Database(fresh_database, schema="svc", migrations_dir=None, app_name="t")
    await db.start()
    await db.wait_ready(15)
    app = FastAPI()
    add_problem_handlers(app)

    @app.get("/things")
    async def things(offset: int, name: str) -> list[str]:
        async with db.session() as session:
            rows = await session.execute(
                text("SELECT CAST(:name AS text) OFFSET :offset"), {"name": name, "offset": offset}
            )
            return [str(r[0]) for r in rows]

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            huge = await client.get("/things", params={"offset": 2**70, "name": "x"})
            nul = await client.get("/things", params={"offset": 0, "name": "a\x00b"})
            ok = await client.get("/things", params={"offset": 0, "name": "Sầm Sơn"})
    finally:
        await db.close()
    assert ok.json() == ["Sầm Sơn"]
    for r in (huge, nul):
        assert r.status_code == 422, r.text
        assert r.json()["invalid_params"][0]["name"] == "request"
