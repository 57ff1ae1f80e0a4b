"""Businesses in city cases: complaints naming a business and what it charged, the business's own
requests to the government, and the registry KPIs written into the department-data indicators."""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses import service
from services.reports.businesses.models import BusinessCase
from services.reports.businesses.schemas import (
    BusinessPublic,
    BusinessRequestIn,
    CaseBusiness,
    ChargedItem,
    ComplaintIn,
    DiscrepancyIn,
    LinkedCase,
)
from services.reports.businesses.settings import BusinessSettings
from services.reports.cases import cases as city_cases
from services.reports.cases.schemas import CaseIn, Reporter
from services.reports.cases.storage import Case
from services.reports.domain.catalogue import create_indicator
from services.reports.domain.imports import ImportOptions, import_values
from services.reports.domain.parsing import RawRow
from services.reports.domain.periods import EARLIEST, LATEST
from services.reports.schemas import IndicatorIn
from shared.db import Database
from shared.errors import InvalidInputError, NotFoundError
from shared.identity import Caller
from shared.messages import CaseChanged

REQUEST_CATEGORY = "business_request"
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


async def _case(session: AsyncSession, case_id: int) -> Case:
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"case {case_id} not found")
    return case


async def link_complaint(session: AsyncSession, case_id: int, body: ComplaintIn, *, by: str) -> CaseBusiness:
    await _case(session, case_id)
    business = await service.get_business(session, body.business_id)
    values = {
        "case_id": case_id,
        "business_id": business.id,
        "kind": "complaint",
        "purchased_on": body.purchased_on,
        "items": [i.model_dump() for i in body.items],
        "created_by": by,
    }
    stmt = insert(BusinessCase).values(**values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["case_id"], set_=values))
    return await case_business(session, case_id)


async def case_business(session: AsyncSession, case_id: int) -> CaseBusiness:
    """The business a case is about and, for a complaint, charged vs listed on the purchase date."""
    link = await session.get(BusinessCase, case_id)
    if link is None:
        raise NotFoundError(f"case {case_id} names no business")
    business = await service.get_business(session, link.business_id)
    discrepancy = None
    if link.kind == "complaint" and link.purchased_on and link.items:
        items = [ChargedItem.model_validate(i) for i in link.items]
        discrepancy = await service.discrepancy(session, business.id, DiscrepancyIn(on=link.purchased_on, items=items))
    return CaseBusiness(
        case_id=case_id, kind=link.kind, business=BusinessPublic.model_validate(business), discrepancy=discrepancy
    )


async def file_request(
    session: AsyncSession, business_id: uuid.UUID, body: BusinessRequestIn, *, caller: Caller, now: datetime
) -> tuple[int, CaseChanged]:
    """A business's request to the government: a `business_request` case bound to the business."""
    business = await service.get_business(session, business_id)
    if business.status == "closed":
        raise InvalidInputError("a closed business cannot file requests", field="business_id")
    case_in = CaseIn(
        category=REQUEST_CATEGORY,
        title=body.title,
        description=body.description,
        lat=business.lat if business.lon is not None else None,
        lon=business.lon if business.lat is not None else None,
        address=business.address,
        source="business",
        priority=body.priority,
        reporter=Reporter(
            name=business.owner_name or business.name, phone=business.owner_phone, email=business.owner_email
        ),
    )
    case, event = await city_cases.create_case(session, case_in, actor=caller.name, now=now)
    session.add(
        BusinessCase(case_id=case.id, business_id=business.id, kind="request", items=[], created_by=caller.name)
    )
    await session.flush()
    return case.id, event


async def linked_cases(session: AsyncSession, business_id: uuid.UUID) -> list[LinkedCase]:
    await service.get_business(session, business_id)
    rows = await session.execute(
        select(
            BusinessCase.case_id,
            BusinessCase.kind,
            Case.category,
            Case.title,
            Case.status,
            Case.received_at,
            Case.due_at,
        )
        .join(Case, Case.id == BusinessCase.case_id)
        .where(BusinessCase.business_id == business_id)
        .order_by(Case.received_at.desc())
    )
    return [
        LinkedCase(case_id=r[0], kind=r[1], category=r[2], title=r[3], status=r[4], received_at=r[5], due_at=r[6])
        for r in rows
    ]


async def request_figures(session: AsyncSession, start: datetime, end: datetime) -> dict[str, float | None]:
    """Median hours to resolve business requests resolved in [start, end) and the share rated 4–5."""
    hours = [
        float(h)
        for (h,) in await session.execute(
            text(
                "SELECT extract(epoch FROM c.resolved_at - c.received_at) / 3600 FROM reports.business_case b "
                "JOIN reports.city_case c ON c.id = b.case_id WHERE b.kind = 'request' "
                "AND c.resolved_at >= :start AND c.resolved_at < :end"
            ),
            {"start": start, "end": end},
        )
    ]
    rated = (
        await session.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE r.rating >= 4) FROM reports.business_case b "
                "JOIN reports.case_rating r ON r.case_id = b.case_id WHERE b.kind = 'request' "
                "AND r.rated_at >= :start AND r.rated_at < :end"
            ),
            {"start": start, "end": end},
        )
    ).one()
    return {
        "median_hours": round(statistics.median(hours), 2) if hours else None,
        "satisfied_pct": round(100 * rated[1] / rated[0], 2) if rated[0] else None,
    }


async def _ensure_indicators(session: AsyncSession) -> None:
    existing = {r[0] for r in await session.execute(text("SELECT code FROM reports.indicator"))}
    for code, name, unit, value_type, aggregation in KPI_INDICATORS:
        if code not in existing:
            await create_indicator(
                session,
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
                ),
            )


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


async def publish_kpis(db: Database, period: str, settings: BusinessSettings) -> dict[str, Any]:
    """Compute the registry KPIs of a month and store them through the department-data import."""
    last_day, start, end = month_range(period)
    async with db.session() as session:
        await _ensure_indicators(session)
    async with db.session() as session:
        figures = await service.kpis(session, on=min(last_day, date.today()), settings=settings)
        requests = await request_figures(session, start, end)
    values: Sequence[tuple[str, object]] = (
        ("BIZ_PRICE_LIST_PCT", figures["share_with_current_price_list_pct"]),
        ("BIZ_VIOLATIONS_PER_1000", figures["violations_per_1000_businesses"]),
        ("BIZ_FINES_VND", figures["fines_vnd"]),
        ("BIZ_REPEAT_OFFENDERS", figures["repeat_offenders"]),
        ("BIZ_REQUEST_HOURS_MEDIAN", requests["median_hours"]),
        ("BIZ_REQUEST_SATISFIED_PCT", requests["satisfied_pct"]),
    )
    rows = [RawRow(code, KPI_DEPARTMENT, period, value) for code, value in values if value is not None]
    result = await import_values(db, rows, caller=KPI_CALLER, options=ImportOptions(strategy="create_and_update"))
    return {"period": period, "figures": {**figures, **requests}, "import_summary": result.summary}
