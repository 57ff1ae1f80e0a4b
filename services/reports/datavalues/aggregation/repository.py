"""SQL of the aggregation: indicators and departments by code or id, the roll-up of values into
target periods, an indicator's latest period with data and its yearly target."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.periods import PeriodType

_TRUNC = {
    PeriodType.DAILY: "day",
    PeriodType.WEEKLY: "week",
    PeriodType.MONTHLY: "month",
    PeriodType.QUARTERLY: "quarter",
    PeriodType.YEARLY: "year",
}

# Weeks belong to the month/quarter/year holding their Thursday (ISO 8601), hence the +3 days.
# Departments come in as an array joined by hash (an IN-list test per row is slow for a big tree).
# A disaggregated value is first summed over its option combos: the indicator's aggregation (an
# average over periods, say) applies to its totals, not to each combo's part.
_VALUES = """
    SELECT v.indicator_id, v.department_id, min(i.aggregation) AS aggregation, v.start_date,
        sum(v.num_value) AS num_value,
        date_trunc(:unit, v.start_date + CASE WHEN min(i.period_type) = 'weekly' THEN 3 ELSE 0 END)::date AS bucket
    FROM reports.data_value v
    JOIN reports.indicator i ON i.id = v.indicator_id
    JOIN unnest(CAST(:deps AS int[])) AS dep(id) ON dep.id = v.department_id
    WHERE v.indicator_id = ANY(:ids) AND v.num_value IS NOT NULL
        AND v.start_date BETWEEN CAST(:first AS date) - 3 AND CAST(:last AS date)
        AND v.start_date + CASE WHEN i.period_type = 'weekly' THEN 3 ELSE 0 END
            BETWEEN CAST(:first AS date) AND CAST(:last AS date)
    GROUP BY v.indicator_id, v.department_id, v.period, v.start_date
"""
# sum, average, min and max combine in one pass over the values.
_ONE_PASS = f"""
WITH v AS ({_VALUES})
SELECT indicator_id, {{dep_col}} AS department_id, bucket,
    CASE min(aggregation)
        WHEN 'sum' THEN sum(num_value) WHEN 'average' THEN avg(num_value) WHEN 'min' THEN min(num_value)
        ELSE max(num_value) END AS value,
    count(*) AS n
FROM v GROUP BY indicator_id, {{dep_group}} bucket ORDER BY indicator_id, {{dep_group}} bucket
"""
# "last" needs each department's latest value in the period first, then the sum over departments.
_TWO_PASS = f"""
WITH v AS ({_VALUES}), per_dep AS (
    SELECT indicator_id, department_id, bucket, aggregation, sum(num_value) AS s, min(num_value) AS mn,
        max(num_value) AS mx, count(*) AS n,
        (array_agg(num_value ORDER BY start_date DESC) FILTER (WHERE aggregation = 'last'))[1] AS latest
    FROM v GROUP BY indicator_id, department_id, bucket, aggregation
)
SELECT indicator_id, {{dep_col}} AS department_id, bucket,
    CASE min(aggregation)
        WHEN 'sum' THEN sum(s) WHEN 'average' THEN sum(s) / sum(n) WHEN 'min' THEN min(mn)
        WHEN 'max' THEN max(mx) ELSE sum(latest) END AS value,
    sum(n) AS n
FROM per_dep GROUP BY indicator_id, {{dep_group}} bucket ORDER BY indicator_id, {{dep_group}} bucket
"""


async def indicators(session: AsyncSession, codes: list[str]) -> Sequence[Row[Any]]:
    """Those of ``codes`` that exist: id, code, period_type, aggregation, value_type."""
    rows = await session.execute(
        text("SELECT id, code, period_type, aggregation, value_type FROM reports.indicator WHERE code = ANY(:c)"),
        {"c": codes},
    )
    return rows.all()


async def department_codes(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    rows = await session.execute(text("SELECT id, code FROM reports.department WHERE id = ANY(:d)"), {"d": ids})
    return {r.id: r.code for r in rows}


async def rolled_up(
    session: AsyncSession,
    *,
    indicator_ids: list[int],
    department_ids: list[int],
    period_type: PeriodType,
    first: date,
    last: date,
    by_department: bool,
    two_pass: bool,
) -> Sequence[Row[Any]]:
    """Values of whole target periods from ``first`` to ``last``: indicator_id, department_id (None
    unless ``by_department``), bucket (the period's first day), value, n (values combined).
    ``two_pass`` is needed when an indicator aggregates as ``last``."""
    sql = (_TWO_PASS if two_pass else _ONE_PASS).format(
        dep_col="department_id" if by_department else "NULL::int",
        dep_group="department_id," if by_department else "",
    )
    rows = await session.execute(
        text(sql),
        {"unit": _TRUNC[period_type], "ids": indicator_ids, "deps": department_ids, "first": first, "last": last},
    )
    return rows.all()


async def latest_start(session: AsyncSession, indicator_id: int, department_ids: list[int], today: date) -> date | None:
    """The start of the latest period up to ``today`` with a numeric value of the indicator."""
    found: date | None = await session.scalar(
        text(
            "SELECT max(start_date) FROM reports.data_value WHERE indicator_id = :i AND department_id = ANY(:d) "
            "AND num_value IS NOT NULL AND start_date <= :today"
        ),
        {"i": indicator_id, "d": department_ids, "today": today},
    )
    return found


async def target(session: AsyncSession, indicator_id: int, year: int) -> float | None:
    found: float | None = await session.scalar(
        text("SELECT value FROM reports.indicator_target WHERE indicator_id = :i AND year = :y"),
        {"i": indicator_id, "y": year},
    )
    return found
