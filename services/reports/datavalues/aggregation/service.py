"""Aggregation over periods and the department tree, with each indicator's own aggregation type.

Finer periods roll up into coarser ones (days → weeks/months → quarters → years). Across
departments: ``sum`` adds, ``average`` is the mean of all values, ``min``/``max`` take the extreme,
``last`` takes each department's latest value in the period and adds them (stock-like figures such
as hotel rooms: the city has the sum of its wards' current counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import department_ids
from services.reports.datavalues.periods import RANK, Period, PeriodType, period_containing, period_param, period_range
from shared.errors import InvalidInputError

_TRUNC = {
    PeriodType.DAILY: "day",
    PeriodType.WEEKLY: "week",
    PeriodType.MONTHLY: "month",
    PeriodType.QUARTERLY: "quarter",
    PeriodType.YEARLY: "year",
}

# Weeks belong to the month/quarter/year holding their Thursday (ISO 8601), hence the +3 days.
# Departments come in as an array joined by hash (an IN-list test per row is slow for a big tree).
_VALUES = """
    SELECT v.indicator_id, v.department_id, i.aggregation, v.start_date, v.num_value,
        date_trunc(:unit, v.start_date + CASE WHEN i.period_type = 'weekly' THEN 3 ELSE 0 END)::date AS bucket
    FROM reports.data_value v
    JOIN reports.indicator i ON i.id = v.indicator_id
    JOIN unnest(CAST(:deps AS int[])) AS dep(id) ON dep.id = v.department_id
    WHERE v.indicator_id = ANY(:ids) AND v.num_value IS NOT NULL
        AND v.start_date BETWEEN CAST(:first AS date) - 3 AND CAST(:last AS date)
        AND v.start_date + CASE WHEN i.period_type = 'weekly' THEN 3 ELSE 0 END
            BETWEEN CAST(:first AS date) AND CAST(:last AS date)
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


@dataclass(frozen=True)
class Cell:
    indicator: str
    department: str | None
    period: str
    value: float
    count: int


@dataclass(frozen=True)
class Query:
    indicators: list[str]
    departments: list[str]
    include_subtree: bool
    period_type: PeriodType
    start: Period
    end: Period
    by_department: bool

    @cached_property
    def periods(self) -> list[Period]:
        """Every target period of the range, in order: the series' x axis."""
        return period_range(self.start.start, self.end.end, self.period_type, "end")


async def _indicators(session: AsyncSession, codes: list[str]) -> dict[str, tuple[int, PeriodType, str, str]]:
    rows = await session.execute(
        text("SELECT id, code, period_type, aggregation, value_type FROM reports.indicator WHERE code = ANY(:c)"),
        {"c": codes},
    )
    found = {r.code: (r.id, PeriodType(r.period_type), r.value_type, r.aggregation) for r in rows}
    missing = sorted(set(codes) - found.keys())
    if missing:
        raise InvalidInputError(f"unknown indicator(s): {', '.join(missing)}", field="indicator")
    return found


def build_query(
    indicators: list[str],
    departments: list[str],
    include_subtree: bool,
    period_type: str,
    start: str,
    end: str,
    by_department: bool,
) -> Query:
    try:
        ptype = PeriodType(period_type)
    except ValueError:
        raise InvalidInputError(
            f"unknown period_type '{period_type}' ({', '.join(p.value for p in PeriodType)})", field="period_type"
        ) from None
    first, last = period_param(start, "start"), period_param(end, "end")
    if first.start > last.end:
        raise InvalidInputError("start is after end", field="start")
    q = Query(indicators, departments, include_subtree, ptype, first, last, by_department)
    q.periods  # noqa: B018 -- a range too long is refused before any query runs
    return q


async def aggregate(session: AsyncSession, q: Query) -> list[Cell]:
    inds = await _indicators(session, q.indicators)
    for code, (_, own, value_type, _agg) in inds.items():
        if RANK[own] > RANK[q.period_type]:
            raise InvalidInputError(
                f"indicator '{code}' is reported {own}; it cannot be split into {q.period_type} periods",
                field="period_type",
            )
        if value_type == "text":
            raise InvalidInputError(f"indicator '{code}' holds text and cannot be aggregated", field="indicator")
    deps = await department_ids(session, q.departments, include_subtree=q.include_subtree)
    dep_names = {
        r.id: r.code
        for r in await session.execute(text("SELECT id, code FROM reports.department WHERE id = ANY(:d)"), {"d": deps})
    }
    # Whole target periods: a range given in finer periods is widened to the periods containing it.
    first = period_containing(q.start.start, q.period_type).start
    last = period_containing(q.end.end, q.period_type).end
    two_pass = any(i[3] == "last" for i in inds.values())
    sql = (_TWO_PASS if two_pass else _ONE_PASS).format(
        dep_col="department_id" if q.by_department else "NULL::int",
        dep_group="department_id," if q.by_department else "",
    )
    rows = await session.execute(
        text(sql),
        {
            "unit": _TRUNC[q.period_type],
            "ids": [i[0] for i in inds.values()],
            "deps": deps,
            "first": first,
            "last": last,
        },
    )
    codes = {v[0]: k for k, v in inds.items()}
    return [
        Cell(
            indicator=codes[r.indicator_id],
            department=dep_names.get(r.department_id) if r.department_id is not None else None,
            period=period_containing(r.bucket, q.period_type).iso,
            value=float(r.value),
            count=int(r.n),
        )
        for r in rows
        if r.value is not None
    ]


def series(q: Query, cells: list[Cell]) -> list[dict[str, object]]:
    """One series per indicator (and department), every period of the range present, gaps as null."""
    periods = [p.iso for p in q.periods]
    keys: dict[tuple[str, str | None], dict[str, float]] = {}
    for code in q.indicators:
        if not q.by_department:
            keys[(code, None)] = {}
    for c in cells:
        keys.setdefault((c.indicator, c.department), {})[c.period] = c.value
    return [
        {
            "indicator": ind,
            "department": dep,
            "points": [{"period": p, "value": values.get(p)} for p in periods],
        }
        for (ind, dep), values in sorted(keys.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]


async def latest_vs_target(
    session: AsyncSession, indicators: list[str], departments: list[str], include_subtree: bool, today: date
) -> list[dict[str, object]]:
    """Latest period with data, the previous period, the change, year to date and the year's target."""
    inds = await _indicators(session, indicators)
    deps = await department_ids(session, departments, include_subtree=include_subtree)
    out: list[dict[str, object]] = []
    for code, (ind_id, own, _, _agg) in sorted(inds.items()):
        latest_start = await session.scalar(
            text(
                "SELECT max(start_date) FROM reports.data_value WHERE indicator_id = :i AND department_id = ANY(:d) "
                "AND num_value IS NOT NULL AND start_date <= :today"
            ),
            {"i": ind_id, "d": deps, "today": today},
        )
        if latest_start is None:
            out.append({"indicator": code, "period": None, "value": None})
            continue
        latest = period_containing(latest_start, own)
        previous = latest.previous()
        q = Query([code], departments, include_subtree, own, previous, latest, False)
        by_period = {c.period: c.value for c in await aggregate(session, q)}
        year = period_containing(latest.start, PeriodType.YEARLY)
        ytd_cells = await aggregate(
            session, Query([code], departments, include_subtree, PeriodType.YEARLY, year, year, False)
        )
        ytd = ytd_cells[0].value if ytd_cells else None
        target = await session.scalar(
            text("SELECT value FROM reports.indicator_target WHERE indicator_id = :i AND year = :y"),
            {"i": ind_id, "y": latest.start.year},
        )
        value, prev = by_period.get(latest.iso), by_period.get(previous.iso)
        change = value - prev if value is not None and prev is not None else None
        out.append(
            {
                "indicator": code,
                "period": latest.iso,
                "value": value,
                "previous_period": previous.iso,
                "previous_value": prev,
                "change": change,
                "change_pct": (100.0 * change / prev) if change is not None and prev else None,
                "year_to_date": ytd,
                "target": target,
                "target_progress_pct": (100.0 * ytd / target) if ytd is not None and target else None,
            }
        )
    return out
