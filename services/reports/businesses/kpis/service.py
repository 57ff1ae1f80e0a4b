"""Registry KPIs of a month (listed prices, violations, fines, repeat offenders, business requests)
written into the department-data indicators through the import, as the system user ``business-kpis``."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses import service as registry
from services.reports.businesses.kpis import repository
from services.reports.businesses.settings import BusinessSettings
from services.reports.datavalues.catalogue.schemas import IndicatorIn
from services.reports.datavalues.catalogue.service import ensure_indicators
from services.reports.datavalues.imports.parse import RawRow
from services.reports.datavalues.imports.service import import_values
from services.reports.datavalues.imports.summary import ImportOptions
from services.reports.datavalues.periods import EARLIEST, LATEST
from shared.db import Database
from shared.errors import InvalidInputError
from shared.identity import Caller

KPI_DEPARTMENT = "VHTT"
KPI_CALLER = Caller(name="business-kpis", kind="api_key", roles=frozenset({"admin"}), departments=frozenset({"*"}))
# code, name, unit, value type, aggregation
KPI_INDICATORS = (
    ("BIZ_PRICE_LIST_PCT", "Cơ sở kinh doanh du lịch có niêm yết giá hiện hành", "%", "percentage", "average"),
    ("BIZ_VIOLATIONS_PER_1000", "Vi phạm đã xác nhận trên 1.000 cơ sở (12 tháng)", "vụ/1000", "number", "last"),
    ("BIZ_FINES_VND", "Tiền phạt cơ sở kinh doanh du lịch (12 tháng)", "đồng", "number", "last"),
    ("BIZ_REPEAT_OFFENDERS", "Cơ sở tái phạm", "cơ sở", "integer", "last"),
    ("BIZ_REQUEST_HOURS_MEDIAN", "Thời gian giải quyết kiến nghị doanh nghiệp (trung vị)", "giờ", "number", "average"),
    ("BIZ_REQUEST_SATISFIED_PCT", "Doanh nghiệp hài lòng với giải quyết kiến nghị", "%", "percentage", "average"),
)


async def request_figures(*, session: AsyncSession, start: datetime, end: datetime) -> dict[str, float | None]:
    """Median hours to resolve business requests resolved in [start, end) and the share rated 4–5."""
    hours = await repository.request_hours(session, start, end)
    rated, satisfied = await repository.request_ratings(session, start, end)
    return {
        "median_hours": round(statistics.median(hours), 2) if hours else None,
        "satisfied_pct": round(100 * satisfied / rated, 2) if rated else None,
    }


def _indicators() -> list[IndicatorIn]:
    return [
        IndicatorIn.model_validate(
            {
                "code": code,
                "name": name,
                "unit": unit,
                "value_type": value_type,
                "aggregation": aggregation,
                "period_type": "monthly",
                "domain": "tourism",
                "description": "Derived monthly from the tourism business registry.",
            }
        )
        for code, name, unit, value_type, aggregation in KPI_INDICATORS
    ]


def month_range(period: str) -> tuple[date, datetime, datetime]:
    try:
        first = date.fromisoformat(f"{period}-01")
    except ValueError:
        raise InvalidInputError("period must be a month, e.g. 2026-11", field="period") from None
    if not EARLIEST <= first <= LATEST:
        raise InvalidInputError(f"period outside the years {EARLIEST.year}-{LATEST.year}", field="period")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    start = datetime.combine(first, datetime.min.time(), UTC)
    return following - timedelta(days=1), start, datetime.combine(following, datetime.min.time(), UTC)


async def publish_kpis(*, database: Database, period: str, settings: BusinessSettings) -> dict[str, Any]:
    """Compute the registry KPIs of a month and store them through the department-data import."""
    last_day, start, end = month_range(period)
    async with database.session() as session:
        await ensure_indicators(session=session, indicators=_indicators())
    async with database.session() as session:
        figures = await registry.kpis(session=session, on=min(last_day, date.today()), settings=settings)
        requests = await request_figures(session=session, start=start, end=end)
    values: Sequence[tuple[str, object]] = (
        ("BIZ_PRICE_LIST_PCT", figures["share_with_current_price_list_pct"]),
        ("BIZ_VIOLATIONS_PER_1000", figures["violations_per_1000_businesses"]),
        ("BIZ_FINES_VND", figures["fines_vnd"]),
        ("BIZ_REPEAT_OFFENDERS", figures["repeat_offenders"]),
        ("BIZ_REQUEST_HOURS_MEDIAN", requests["median_hours"]),
        ("BIZ_REQUEST_SATISFIED_PCT", requests["satisfied_pct"]),
    )
    rows = [RawRow(code, KPI_DEPARTMENT, period, value) for code, value in values if value is not None]
    result = await import_values(
        database=database, rows=rows, caller=KPI_CALLER, options=ImportOptions(strategy="create_and_update")
    )
    return {"period": period, "figures": {**figures, **requests}, "import_summary": result.summary}


async def publish(*, database: Database, caller: Caller, settings: BusinessSettings, period: str) -> dict[str, Any]:
    """A manager's on-demand publication of one month (they also refresh hourly)."""
    registry.require_manager(caller, settings)
    return await publish_kpis(database=database, period=period, settings=settings)
