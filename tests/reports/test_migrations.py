"""One migration history: a database created at the four heads the reports schema had before
(department data, businesses, cases, outbox) upgrades to the single head without losing a row."""

from __future__ import annotations

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from services.reports.app import MIGRATIONS_DIR
from shared.db import run_migrations

# The heads of the four branches before they were merged (their revisions stay in the directory).
OLD_HEADS = ("0001_reports_initial", "b0002", "c0003_cases_sort_indexes", "e0001_outbox")
MERGE = "r0001_one_history"


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = "reports"
    return cfg


def _upgrade_to_old_heads(connection: Connection) -> None:
    for head in OLD_HEADS:
        command.upgrade(_config(connection), head)


def test_the_history_has_one_head_merging_the_old_ones() -> None:
    script = ScriptDirectory.from_config(_config())
    assert len(script.get_heads()) == 1
    merge = script.get_revision(MERGE)
    assert merge is not None
    assert set(merge.down_revision or ()) == set(OLD_HEADS)
    # Linear from the merge on: every later revision has exactly one parent.
    later = [r for r in script.walk_revisions(MERGE, "heads") if r.revision != MERGE]
    assert all(isinstance(r.down_revision, str) for r in later)


async def test_a_database_at_the_old_heads_upgrades_without_loss(fresh_database: str) -> None:
    engine = create_async_engine(fresh_database)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("CREATE SCHEMA reports"))
            await conn.commit()
            await conn.run_sync(_upgrade_to_old_heads)
            await conn.commit()
        pg = await asyncpg.connect(fresh_database.replace("postgresql+asyncpg", "postgresql"))
        try:
            assert {r[0] for r in await pg.fetch("SELECT version_num FROM reports.alembic_version")} == set(OLD_HEADS)
            await pg.execute(
                """
                INSERT INTO reports.department (code, name, kind) VALUES ('CITY', 'City', 'city');
                INSERT INTO reports.indicator (code, name, unit, value_type, aggregation, period_type, domain)
                    VALUES ('ARR', 'Arrivals', 'visits', 'integer', 'sum', 'monthly', 'tourism');
                INSERT INTO reports.data_value (indicator_id, department_id, period, start_date, end_date, value,
                    num_value, stored_by)
                    SELECT i.id, d.id, '2025-01', '2025-01-01', '2025-01-31', '42', 42, 'migration-test'
                    FROM reports.indicator i, reports.department d;
                INSERT INTO reports.city_case (category, title, description, source, priority, status, sla_class,
                    received_at, due_at, updated_at)
                    SELECT code, 'Old case', '', 'citizen', 'normal', 'new', sla_class, now(), now(), now()
                    FROM reports.case_category ORDER BY code LIMIT 1;
                INSERT INTO reports.business (id, type, name, status)
                    VALUES ('00000000-0000-0000-0000-000000000001', 'hotel', 'Old hotel', 'active');
                INSERT INTO reports.business_case (case_id, business_id, kind, items, created_by)
                    SELECT id, '00000000-0000-0000-0000-000000000001', 'complaint', '[]', 'migration-test'
                    FROM reports.city_case;
                INSERT INTO reports.outbox (subject, payload) VALUES ('reports.test', '\\x00');
                """
            )
            tables = ("department", "indicator", "data_value", "case_category", "city_case", "business",
                      "business_case", "outbox")  # fmt: skip
            before = {t: await pg.fetchval(f"SELECT count(*) FROM reports.{t}") for t in tables}
            assert all(before.values()), before

            async with engine.connect() as conn:
                await conn.run_sync(lambda c: run_migrations(c, schema="reports", migrations_dir=MIGRATIONS_DIR))
                await conn.commit()

            head = ScriptDirectory.from_config(_config()).get_current_head()
            assert [r[0] for r in await pg.fetch("SELECT version_num FROM reports.alembic_version")] == [head]
            after = {t: await pg.fetchval(f"SELECT count(*) FROM reports.{t}") for t in tables}
            assert after == before
            assert await pg.fetchval("SELECT value FROM reports.data_value") == "42"
            assert await pg.fetchval("SELECT title FROM reports.city_case") == "Old case"
        finally:
            await pg.close()
    finally:
        await engine.dispose()
