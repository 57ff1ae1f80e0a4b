"""Routes of the business registry, managed under /businesses."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from services.reports.api.deps import BusinessSettingsDep, CallerDep, SearchText, TypeCode, WardCode, utcnow
from services.reports.businesses import service
from services.reports.businesses.cases import service as business_cases
from services.reports.businesses.inspections import service as inspections
from services.reports.businesses.kpis import service as kpis
from services.reports.businesses.prices import service as prices
from services.reports.businesses.repository import BUSINESS_ORDER, BusinessFilter
from services.reports.businesses.schemas import (
    BusinessImportSummaryOut,
    BusinessIn,
    BusinessOut,
    BusinessPatch,
    BusinessRequestIn,
    BusinessStatus,
    DiscrepancyIn,
    DiscrepancyOut,
    InspectionIn,
    InspectionOut,
    LinkedCaseOut,
    PriceListIn,
    PriceListOut,
    StatusChangeIn,
    StatusChangeOut,
)
from services.reports.datavalues.periods import CalendarDay
from shared.deps import RuntimeDep, SessionDep
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/businesses", tags=["businesses"], responses=PROBLEM_RESPONSES)

BusinessId = uuid.UUID


@router.get("", summary="Search businesses (owner contacts only for roles that may see personal data)")
async def list_businesses(
    session: SessionDep,
    caller: CallerDep,
    settings: BusinessSettingsDep,
    sort: Annotated[str, Depends(BUSINESS_ORDER.sort_query("name"))],
    q: SearchText = None,
    type: Annotated[list[TypeCode], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    ward: Annotated[list[WardCode], Query()] = [],  # noqa: B006
    status_: Annotated[list[BusinessStatus], Query(alias="status")] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[BusinessOut]:
    f = BusinessFilter(q=q, type=type, ward=ward, status=status_)
    return await service.list_businesses(
        session=session, caller=caller, settings=settings, f=f, sort=sort, cursor=cursor, limit=limit
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a business")
async def create_business(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, body: BusinessIn
) -> BusinessOut:
    return await service.register(session=session, caller=caller, settings=settings, business_in=body)


@router.post("/import", summary="Import the existing list from CSV (per-row summary)")
async def import_businesses(
    request: Request, session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, dry_run: bool = False
) -> BusinessImportSummaryOut:
    return await service.import_businesses(
        session=session, caller=caller, settings=settings, csv_body=await request.body(), dry_run=dry_run
    )


@router.get("/kpis", summary="Registry KPIs as of a date (default today)")
async def business_kpis(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, on: CalendarDay | None = None
) -> dict[str, object]:
    return await service.kpis(session=session, on=on or date.today(), settings=settings)


@router.get("/offenders", summary="Complaints naming a business in [since, until) and the repeat offenders (briefing)")
async def business_offenders(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, since: CalendarDay, until: CalendarDay
) -> dict[str, object]:
    return await service.offenders(session=session, settings=settings, since=since, until=until)


@router.get("/{business_id}", summary="One business")
async def get_business(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId
) -> BusinessOut:
    return await service.get(session=session, caller=caller, settings=settings, business_id=business_id)


@router.patch("/{business_id}", summary="Change registry fields")
async def update_business(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId, body: BusinessPatch
) -> BusinessOut:
    return await service.update(
        session=session, caller=caller, settings=settings, business_id=business_id, business_patch=body
    )


@router.post("/{business_id}/status", summary="Suspend, close or reactivate, with a reason (kept in history)")
async def change_status(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId, body: StatusChangeIn
) -> BusinessOut:
    return await service.set_status(
        session=session, caller=caller, settings=settings, business_id=business_id, status_change_in=body
    )


@router.get("/{business_id}/status-history", summary="Every status change")
async def status_history(session: SessionDep, caller: CallerDep, business_id: BusinessId) -> list[StatusChangeOut]:
    return await service.history(session=session, business_id=business_id)


@router.get("/{business_id}/price-lists", summary="Every price list ever published (withdrawn ones included)")
async def all_price_lists(session: SessionDep, caller: CallerDep, business_id: BusinessId) -> list[PriceListOut]:
    return await prices.list_price_lists(session=session, business_id=business_id)


@router.post("/{business_id}/price-lists", status_code=status.HTTP_201_CREATED, summary="Publish a price list")
async def publish_price_list(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId, body: PriceListIn
) -> PriceListOut:
    return await prices.publish(
        session=session, caller=caller, settings=settings, business_id=business_id, price_list_in=body
    )


@router.delete("/{business_id}/price-lists/{list_id}", summary="Withdraw a price list (it stays in history)")
async def withdraw_price_list(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId, list_id: uuid.UUID
) -> PriceListOut:
    return await prices.withdraw(
        session=session, caller=caller, settings=settings, business_id=business_id, list_id=list_id
    )


@router.post("/{business_id}/discrepancy", summary="Charged vs listed prices on a date (for complaints)")
async def discrepancy(
    session: SessionDep, caller: CallerDep, business_id: BusinessId, body: DiscrepancyIn
) -> DiscrepancyOut:
    return await prices.discrepancy(session=session, business_id=business_id, discrepancy_in=body)


@router.get("/{business_id}/inspections", summary="Inspections with their violations, newest first")
async def list_inspections(session: SessionDep, caller: CallerDep, business_id: BusinessId) -> list[InspectionOut]:
    return await inspections.list_inspections(session=session, business_id=business_id)


@router.post("/{business_id}/inspections", status_code=status.HTTP_201_CREATED, summary="Record an inspection")
async def record_inspection(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId, body: InspectionIn
) -> InspectionOut:
    return await inspections.record(
        session=session, caller=caller, settings=settings, business_id=business_id, inspection_in=body
    )


@router.post("/kpis/publish", summary="Write a month's registry KPIs into the department-data indicators")
async def publish_kpis(
    rt: RuntimeDep, caller: CallerDep, settings: BusinessSettingsDep, period: str = Query(pattern=r"^\d{4}-\d{2}$")
) -> dict[str, object]:
    return await kpis.publish(database=rt.database, caller=caller, settings=settings, period=period)


@router.post("/{business_id}/requests", status_code=status.HTTP_201_CREATED,
             summary="File the business's request to the government (a `business_request` case)")  # fmt: skip
async def file_request(
    session: SessionDep,
    caller: CallerDep,
    settings: BusinessSettingsDep,
    business_id: BusinessId,
    body: BusinessRequestIn,
) -> dict[str, object]:
    return await business_cases.file_request(
        session=session, business_id=business_id, request_in=body, caller=caller, settings=settings, now=utcnow()
    )


@router.get("/{business_id}/cases", summary="Complaints about, and requests from, this business")
async def business_cases_list(session: SessionDep, caller: CallerDep, business_id: BusinessId) -> list[LinkedCaseOut]:
    return await business_cases.linked_cases(session=session, business_id=business_id)
