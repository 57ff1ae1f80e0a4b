"""Reading values back for DHIS2 clients: data sets or data elements, org units (and their children)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_VALUE_SET = text(
    """
    WITH RECURSIVE ous AS (
        SELECT id FROM reports.department WHERE code = ANY(:ous)
        UNION SELECT d.id FROM reports.department d JOIN ous ON d.parent_id = ous.id AND :children
    ), des AS (
        SELECT fi.indicator_id AS id FROM reports.report_form_indicator fi
        JOIN reports.report_form f ON f.id = fi.form_id WHERE f.code = ANY(:ds)
        UNION SELECT id FROM reports.indicator WHERE code = ANY(:des)
    )
    SELECT i.code AS de, v.period, d.code AS ou, v.value, v.stored_by, v.created_at, v.updated_at, v.comment
    FROM reports.data_value v
    JOIN reports.indicator i ON i.id = v.indicator_id JOIN reports.department d ON d.id = v.department_id
    WHERE v.indicator_id IN (SELECT id FROM des) AND v.department_id IN (SELECT id FROM ous)
      AND (CAST(:allowed AS int[]) IS NULL OR v.department_id = ANY(CAST(:allowed AS int[])))
      AND (cardinality(CAST(:periods AS text[])) = 0 OR v.period = ANY(:periods))
      AND (CAST(:start AS date) IS NULL OR v.start_date >= CAST(:start AS date))
      AND (CAST(:end AS date) IS NULL OR v.end_date <= CAST(:end AS date))
    ORDER BY d.code, i.code, v.start_date
    """
)


async def value_set_rows(
    session: AsyncSession,
    *,
    org_units: Sequence[str],
    children: bool,
    data_sets: Sequence[str],
    data_elements: Sequence[str],
    periods: Sequence[str],
    start: date | None,
    end: date | None,
    allowed: set[int] | None,
) -> list[Any]:
    """Values of the org units (and their children) of ``allowed`` departments only (None: all)."""
    rows = await session.execute(
        _VALUE_SET,
        {
            "ous": list(org_units),
            "children": children,
            "ds": list(data_sets),
            "des": list(data_elements),
            "periods": list(periods),
            "start": start,
            "end": end,
            "allowed": None if allowed is None else sorted(allowed),
        },
    )
    return list(rows)


_TABLES = frozenset({"indicator", "department", "report_form", "category_option_combo"})


async def identifier_rows(session: AsyncSession, *, table: str) -> list[tuple[str, str, str]]:
    """``(code, uid, name)`` of every row of one catalogue table."""
    if table not in _TABLES:  # the table name is part of the SQL text: only ours
        raise ValueError(table)
    rows = await session.execute(text(f"SELECT code, uid, name FROM reports.{table} ORDER BY id"))
    return [(r[0], r[1], r[2]) for r in rows]
