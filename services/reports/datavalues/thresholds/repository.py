"""The breach state of watched values (``reports.threshold_state``), on the import's connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

# A value's key in reports.data_value: (indicator_id, department_id, period).
Key = tuple[int, int, str]


async def states(pg: asyncpg.Connection, keys: list[Key]) -> dict[Key, Any]:
    rows = await pg.fetch(
        "SELECT s.* FROM reports.threshold_state s JOIN unnest($1::int[], $2::int[], $3::text[]) "
        "AS w(indicator_id, department_id, period) USING (indicator_id, department_id, period)",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
    )
    return {(r["indicator_id"], r["department_id"], r["period"]): r for r in rows}


async def save_state(pg: asyncpg.Connection, key: Key, *, alert_id: str, started: datetime, active: bool) -> None:
    await pg.execute(
        "INSERT INTO reports.threshold_state (indicator_id, department_id, period, alert_id, started_at, active) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (indicator_id, department_id, period) DO UPDATE "
        "SET alert_id = EXCLUDED.alert_id, started_at = EXCLUDED.started_at, active = EXCLUDED.active",
        *key,
        alert_id,
        started,
        active,
    )
