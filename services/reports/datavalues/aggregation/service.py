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

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.aggregation import repository
from services.reports.datavalues.catalogue.repository import department_ids, readable_ids
from services.reports.datavalues.periods import RANK, Period, PeriodType, period_containing, period_param, period_range
from shared.errors import InvalidInputError
from shared.identity import Caller
from shared.scoping import readable_departments


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
    rows = await repository.indicators(session, codes)
    found = {r.code: (r.id, PeriodType(r.period_type), r.value_type, r.aggregation) for r in rows}
    missing = sorted(set(codes) - found.keys())
    if missing:
        raise InvalidInputError(f"unknown indicator(s): {', '.join(missing)}", field="indicator")
    return found


def build_query(
    *,
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


async def _departments(
    session: AsyncSession, codes: list[str], include_subtree: bool, readable: frozenset[str] | None
) -> list[int]:
    """The ids of the departments asked for (all when none is), less those the caller may not read."""
    deps = await department_ids(session, codes, include_subtree=include_subtree)
    allowed = await readable_ids(session, readable)
    return deps if allowed is None else [d for d in deps if d in allowed]


async def aggregate(*, session: AsyncSession, q: Query, caller: Caller) -> list[Cell]:
    """``q`` over the departments the caller reads (``shared.scoping``) and their subtrees only."""
    return await _aggregate(session, q, readable_departments(caller))


async def _aggregate(session: AsyncSession, q: Query, readable: frozenset[str] | None) -> list[Cell]:
    inds = await _indicators(session, q.indicators)
    for code, (_, own, value_type, _agg) in inds.items():
        if RANK[own] > RANK[q.period_type]:
            raise InvalidInputError(
                f"indicator '{code}' is reported {own}; it cannot be split into {q.period_type} periods",
                field="period_type",
            )
        if value_type == "text":
            raise InvalidInputError(f"indicator '{code}' holds text and cannot be aggregated", field="indicator")
    deps = await _departments(session, q.departments, q.include_subtree, readable)
    dep_names = await repository.department_codes(session, deps)
    # Whole target periods: a range given in finer periods is widened to the periods containing it.
    first = period_containing(q.start.start, q.period_type).start
    last = period_containing(q.end.end, q.period_type).end
    rows = await repository.rolled_up(
        session,
        indicator_ids=[i[0] for i in inds.values()],
        department_ids=deps,
        period_type=q.period_type,
        first=first,
        last=last,
        by_department=q.by_department,
        two_pass=any(i[3] == "last" for i in inds.values()),
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
    *,
    session: AsyncSession,
    indicators: list[str],
    departments: list[str],
    include_subtree: bool,
    caller: Caller,
    today: date,
) -> list[dict[str, object]]:
    """Latest period with data, the previous period, the change, year to date and the year's target,
    over the departments the caller reads only."""
    readable = readable_departments(caller)
    inds = await _indicators(session, indicators)
    deps = await _departments(session, departments, include_subtree, readable)
    out: list[dict[str, object]] = []
    for code, (ind_id, own, _, _agg) in sorted(inds.items()):
        latest_start = await repository.latest_start(session, ind_id, deps, today)
        if latest_start is None:
            out.append({"indicator": code, "period": None, "value": None})
            continue
        latest = period_containing(latest_start, own)
        previous = latest.previous()
        q = Query([code], departments, include_subtree, own, previous, latest, False)
        by_period = {c.period: c.value for c in await _aggregate(session, q, readable)}
        year = period_containing(latest.start, PeriodType.YEARLY)
        ytd_cells = await _aggregate(
            session, Query([code], departments, include_subtree, PeriodType.YEARLY, year, year, False), readable
        )
        ytd = ytd_cells[0].value if ytd_cells else None
        target = await repository.target(session, ind_id, latest.start.year)
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
