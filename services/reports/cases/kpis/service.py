"""Monthly KPIs derived from cases, ratings and site-clearance progress, written as department data.

Dashboards then read cases through the same indicator/value path as every other figure. The
values go through the department-data import (validation, audit, thresholds, events) as the
system user ``cases-kpis``; re-running a month updates its values in place.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role
from services.reports.cases.calendar import VIETNAM
from services.reports.cases.kpis.repository import GPMB_KPIS, KPIS, TOURISM_CATEGORIES, Kpi, kpi_values
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


async def compute(*, session: AsyncSession, period: str, now: datetime) -> list[RawRow]:
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
        for department, value in await kpi_values(session, kpi, params):
            if value is not None:
                number = int(value) if kpi.value_type == "integer" else float(value)
                rows.append(RawRow(kpi.code, department, iso, number))
    return rows


async def publish_month(*, database: Database, period: str, now: datetime) -> dict[str, Any]:
    """Compute one month and store it through the department-data import; returns its summary.

    Each step is its own unit of work (as in a background job): the indicators exist before the
    values that need them are imported."""
    async with database.session() as session:
        await ensure_indicators(session=session, indicators=[_indicator(k) for k in (*KPIS, *GPMB_KPIS)])
    async with database.session() as session:
        rows = await compute(session=session, period=period, now=now)
    result = await import_values(
        database=database,
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
    return await publish_month(database=database, period=period, now=now)
