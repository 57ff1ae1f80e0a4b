"""Monthly KPIs derived from cases, ratings and site-clearance progress, written as department data.

Dashboards then read cases through the same indicator/value path as every other figure. The
values go through the department-data import (validation, audit, thresholds, events) as the
system user ``cases-kpis``; re-running a month updates its values in place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role
from services.reports.cases.calendar import VIETNAM
from services.reports.datavalues.catalogue.schemas import IndicatorIn
from services.reports.datavalues.catalogue.service import ensure_indicators
from services.reports.datavalues.imports.parse import RawRow
from services.reports.datavalues.imports.service import import_values
from services.reports.datavalues.imports.summary import ImportOptions
from services.reports.datavalues.periods import PeriodType, parse_period
from shared.db import Database
from shared.errors import InvalidInputError
from shared.identity import Caller

log = logging.getLogger("cityops.reports.cases")

KPI_CALLER = Caller(name="cases-kpis", kind="api_key", roles=frozenset({"admin"}), departments=frozenset({"*"}))
TOURISM_CATEGORIES = ("tourism_price_gouging", "tourism_touting", "tourism_unlisted_price")


@dataclass(frozen=True)
class Kpi:
    code: str
    name: str
    unit: str
    value_type: str
    aggregation: str
    sql: str


# Each query yields (department code, value) for the month [:start, :end) with :cut = min(end, now).
# Workflow KPIs are counted for the handling department; "by ward" ones for the ward of the place.
_RESOLVED = "resolved_at >= :start AND resolved_at < :end AND duplicate_of IS NULL AND department IS NOT NULL"
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "CASES_RECEIVED",
        "Cases received",
        "cases",
        "integer",
        "sum",
        "SELECT department, count(*) FROM reports.city_case WHERE received_at >= :start AND received_at < :end "
        "AND department IS NOT NULL GROUP BY 1",
    ),
    Kpi(
        "CASES_RECEIVED_BY_WARD",
        "Cases received, by ward of the place",
        "cases",
        "integer",
        "sum",
        "SELECT ward, count(*) FROM reports.city_case WHERE received_at >= :start AND received_at < :end "
        "AND ward IS NOT NULL GROUP BY 1",
    ),
    Kpi(
        "CASES_RESOLVED",
        "Cases resolved",
        "cases",
        "integer",
        "sum",
        f"SELECT department, count(*) FROM reports.city_case WHERE {_RESOLVED} GROUP BY 1",
    ),
    Kpi(
        "CASES_RESOLVED_ONTIME_PCT",
        "Cases resolved on time",
        "%",
        "percentage",
        "average",
        "SELECT department, round(100.0 * count(*) FILTER (WHERE resolved_at <= due_at) / count(*), 1) "
        f"FROM reports.city_case WHERE {_RESOLVED} GROUP BY 1",
    ),
    Kpi(
        "CASES_RESOLVE_MEDIAN_H",
        "Median time to resolve",
        "hours",
        "number",
        "average",
        "SELECT department, round(percentile_cont(0.5) WITHIN GROUP "
        "(ORDER BY extract(epoch FROM resolved_at - received_at) / 3600)::numeric, 2) "
        f"FROM reports.city_case WHERE {_RESOLVED} GROUP BY 1",
    ),
    Kpi(
        "CASES_OVERDUE",
        "Cases open past their deadline at month end",
        "cases",
        "integer",
        "last",
        "SELECT department, count(*) FROM reports.city_case WHERE department IS NOT NULL AND received_at < :cut "
        "AND due_at < :cut AND (resolved_at IS NULL OR resolved_at > :cut) AND (closed_at IS NULL OR closed_at > :cut) "
        "AND status <> 'rejected' AND duplicate_of IS NULL GROUP BY 1",
    ),
    Kpi(
        "CASES_SATISFACTION_PCT",
        "Reporters satisfied (rating 4 or 5)",
        "%",
        "percentage",
        "average",
        "SELECT c.department, round(100.0 * count(*) FILTER (WHERE r.rating >= 4) / count(*), 1) "
        "FROM reports.case_rating r JOIN reports.city_case c ON c.id = r.case_id "
        "WHERE r.rated_at >= :start AND r.rated_at < :end AND c.department IS NOT NULL GROUP BY 1",
    ),
    Kpi(
        "TOURISM_VIOLATIONS_HANDLED",
        "Tourism violations sanctioned",
        "cases",
        "integer",
        "sum",
        f"SELECT department, count(*) FROM reports.city_case WHERE {_RESOLVED} "
        "AND category = ANY(:tourism) AND outcome IS NOT NULL "
        "AND jsonb_path_exists(outcome, '$.measures[*] ? (@ != \"none\")') GROUP BY 1",
    ),
    Kpi(
        "TOURISM_FINES_VND",
        "Fines imposed in tourism cases",
        "VND",
        "number",
        "sum",
        "SELECT department, sum((outcome->>'fine_vnd')::bigint) FROM reports.city_case "
        f"WHERE {_RESOLVED} AND category = ANY(:tourism) AND outcome IS NOT NULL GROUP BY 1",
    ),
    Kpi(
        "TOURISM_REFUNDS_VND",
        "Refunds obtained for tourists",
        "VND",
        "number",
        "sum",
        "SELECT department, sum((outcome->>'refund_vnd')::bigint) FROM reports.city_case "
        f"WHERE {_RESOLVED} AND category = ANY(:tourism) AND outcome IS NOT NULL GROUP BY 1",
    ),
    *(
        Kpi(
            f"TOURISM_{cat.removeprefix('tourism_').upper()}_CASES",
            f"Tourism cases: {cat}",
            "cases",
            "integer",
            "sum",
            "SELECT department, count(*) FROM reports.city_case WHERE received_at >= :start AND received_at < :end "
            f"AND category = '{cat}' AND department IS NOT NULL GROUP BY 1",
        )
        for cat in TOURISM_CATEGORIES
    ),
)

# Site clearance, by the ward of the projects, from each project's latest report before month end.
_LATEST = (
    "WITH latest AS (SELECT DISTINCT ON (g.project_id) g.* FROM reports.clearance_progress g "
    "WHERE g.as_of < :end_date ORDER BY g.project_id, g.as_of DESC) "
)
GPMB_KPIS: tuple[Kpi, ...] = (
    Kpi(
        "GPMB_AREA_HANDED_OVER_PCT",
        "Site clearance: area cleared / required",
        "%",
        "percentage",
        "average",
        _LATEST + "SELECT p.ward, round((100 * sum(coalesce(l.area_cleared_ha, 0)) / sum(p.area_ha))::numeric, 1) "
        "FROM reports.clearance_project p LEFT JOIN latest l ON l.project_id = p.id "
        "WHERE p.start_date < :end_date GROUP BY 1",
    ),
    Kpi(
        "GPMB_HOUSEHOLDS_PAID_PCT",
        "Site clearance: households paid / total",
        "%",
        "percentage",
        "average",
        _LATEST + "SELECT p.ward, round(100.0 * sum(coalesce(l.households_paid, 0)) / nullif(sum(p.households), 0), 1) "
        "FROM reports.clearance_project p LEFT JOIN latest l ON l.project_id = p.id "
        "WHERE p.start_date < :end_date GROUP BY 1 HAVING sum(p.households) > 0",
    ),
    Kpi(
        "GPMB_COMPENSATION_PAID_PCT",
        "Site clearance: compensation paid / approved",
        "%",
        "percentage",
        "average",
        _LATEST + "SELECT p.ward, round(100.0 * sum(coalesce(l.compensation_paid_vnd, 0)) / "
        "nullif(sum(p.budget_vnd), 0), 1) FROM reports.clearance_project p LEFT JOIN latest l ON l.project_id = p.id "
        "WHERE p.start_date < :end_date GROUP BY 1 HAVING sum(p.budget_vnd) > 0",
    ),
)


def _indicator(kpi: Kpi) -> IndicatorIn:
    return IndicatorIn.model_validate(
        {
            "code": kpi.code,
            "name": kpi.name,
            "unit": kpi.unit,
            "value_type": kpi.value_type,
            "aggregation": kpi.aggregation,
            "period_type": "monthly",
            "domain": "cases",
            "description": "Derived monthly from city cases (reports.cases.kpis).",
        }
    )


def month_bounds(period: str, now: datetime) -> tuple[str, datetime, datetime]:
    try:
        parsed = parse_period(period)
    except ValueError as exc:
        raise InvalidInputError(str(exc), field="period") from None
    if parsed.type is not PeriodType.MONTHLY:
        raise InvalidInputError("KPIs are computed per month, e.g. 2026-11", field="period")
    start = datetime.combine(parsed.start, datetime.min.time(), VIETNAM).astimezone(UTC)
    end = datetime.combine(date.fromordinal(parsed.end.toordinal() + 1), datetime.min.time(), VIETNAM).astimezone(UTC)
    if start > now:
        raise InvalidInputError("the month has not started", field="period")
    return parsed.iso, start, end


async def compute(session: AsyncSession, period: str, now: datetime) -> list[RawRow]:
    iso, start, end = month_bounds(period, now)
    params: dict[str, Any] = {
        "start": start,
        "end": end,
        "cut": min(end, now),
        "tourism": list(TOURISM_CATEGORIES),
        "end_date": end.astimezone(VIETNAM).date(),
    }
    rows: list[RawRow] = []
    for kpi in (*KPIS, *GPMB_KPIS):
        used = {k: v for k, v in params.items() if f":{k}" in kpi.sql}
        for department, value in await session.execute(text(kpi.sql), used):
            if value is not None:
                number = int(value) if kpi.value_type == "integer" else float(value)
                rows.append(RawRow(kpi.code, department, iso, number))
    return rows


async def publish_month(db: Database, period: str, now: datetime) -> dict[str, Any]:
    """Compute one month and store it through the department-data import; returns its summary.

    Each step is its own unit of work (as in a background job): the indicators exist before the
    values that need them are imported."""
    async with db.session() as session:
        await ensure_indicators(session=session, indicators=[_indicator(k) for k in (*KPIS, *GPMB_KPIS)])
    async with db.session() as session:
        rows = await compute(session, period, now)
    result = await import_values(
        database=db,
        rows=rows,
        caller=KPI_CALLER,
        options=ImportOptions(strategy="create_and_update"),
        today=now.astimezone(VIETNAM).date(),
    )
    summary = result.summary
    log.info("cases.kpis_written", extra={"period": period, "rows": len(rows), "counts": summary.get("counts")})
    return summary


async def publish(*, database: Database, caller: Caller, period: str, now: datetime) -> dict[str, Any]:
    """An administrator's on-demand recomputation of one month (they also refresh hourly)."""
    require_role(caller, "admin")
    return await publish_month(database, period, now)
