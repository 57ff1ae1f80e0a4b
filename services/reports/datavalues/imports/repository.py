"""The import's own SQL beyond the merge: the catalogue it checks rows against, the idempotency keys."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.imports.validate import Catalogue, ComboRule, DepartmentRule
from services.reports.datavalues.periods import PeriodType
from services.reports.datavalues.rules import IndicatorRule
from shared.errors import ConflictError


def decoded_json(value: Any) -> Any:
    """jsonb arrives decoded on SQLAlchemy's asyncpg connections, as text on plain ones."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


async def raw_connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, inside the session's transaction (for COPY and RETURNING)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, asyncpg.Connection)
    if not driver.is_in_transaction():
        # SQLAlchemy begins the driver transaction lazily, at its first statement.
        await session.execute(text("SELECT 1"))
    return driver


async def load_catalogue(session: AsyncSession) -> Catalogue:
    ind = await session.execute(
        text(
            "SELECT id, code, value_type, aggregation, period_type, min_value, max_value, alert_above, "
            "alert_below, category_combo_id FROM reports.indicator"
        )
    )
    indicators = {
        r.code: IndicatorRule(
            r.id,
            r.code,
            r.value_type,
            r.aggregation,
            PeriodType(r.period_type),
            r.min_value,
            r.max_value,
            r.alert_above,
            r.alert_below,
            r.category_combo_id,
        )
        for r in ind
    }
    dep = await session.execute(text("SELECT id, code, valid_from, valid_to FROM reports.department"))
    departments = {r.code: DepartmentRule(r.id, r.code, r.valid_from, r.valid_to) for r in dep}
    forms = await session.execute(text("SELECT DISTINCT indicator_id FROM reports.report_form_indicator"))
    coc = await session.execute(text("SELECT id, code, category_combo_id FROM reports.category_option_combo"))
    combos = {r.code: ComboRule(r.id, r.code, r.category_combo_id) for r in coc}
    return Catalogue(indicators, departments, frozenset(forms.scalars()), combos)


async def claim_key(session: AsyncSession, *, user: str, key: str, request_hash: str) -> dict[str, Any] | None:
    """Hold the key for this transaction; return the stored summary if an earlier request completed."""
    pg = await raw_connection(session)
    inserted = await pg.fetchval(
        "INSERT INTO reports.import_request (user_id, key, request_hash) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING RETURNING true",
        user,
        key,
        request_hash,
    )
    if inserted:
        return None
    row = await pg.fetchrow(
        "SELECT request_hash, response FROM reports.import_request WHERE user_id = $1 AND key = $2", user, key
    )
    assert row is not None
    if row["request_hash"] != request_hash:
        raise ConflictError("Idempotency-Key was already used with a different request", field="Idempotency-Key")
    return dict(decoded_json(row["response"]))


async def store_response(session: AsyncSession, *, user: str, key: str, summary: dict[str, Any]) -> None:
    """The answer a retry with the same key gets."""
    await (await raw_connection(session)).execute(
        "UPDATE reports.import_request SET status_code = 200, response = $3 WHERE user_id = $1 AND key = $2",
        user,
        key,
        json.dumps(summary),
    )
