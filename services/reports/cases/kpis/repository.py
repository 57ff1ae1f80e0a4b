"""SQL of the case KPIs: one query per KPI, each yielding (department code, value) for a month."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

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


async def kpi_values(session: AsyncSession, kpi: Kpi, params: dict[str, Any]) -> Sequence[tuple[str, Any]]:
    """(department, value) of one KPI; ``params`` holds at least the parameters its query names."""
    used = {k: v for k, v in params.items() if f":{k}" in kpi.sql}
    return [(str(department), value) for department, value in await session.execute(text(kpi.sql), used)]
