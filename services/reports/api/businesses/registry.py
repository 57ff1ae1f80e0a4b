"""Routes of the business registry, managed under /businesses."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from services.reports.api.deps import BusinessSettingsDep, CallerDep, utcnow
from services.reports.businesses import service
from services.reports.businesses.cases import service as business_cases
from services.reports.businesses.kpis import service as kpis
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
    SearchText,
    StatusChangeIn,
    StatusChangeOut,
    TypeCode,
    WardCode,
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
    sort: Annotated[str, Depends(service.BUSINESS_ORDER.sort_query("name"))],
    q: SearchText = None,
    type: Annotated[list[TypeCode], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    ward: Annotated[list[WardCode], Query()] = [],  # noqa: B006
    status_: Annotated[list[BusinessStatus], Query(alias="status")] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[BusinessOut]:
    f = service.BusinessFilter(q=q, type=type, ward=ward, status=status_)
    rows, next_cursor = await service.search(session, f, sort=sort, cursor=cursor, limit=limit)
    return Page[BusinessOut](items=await service.to_out(session, caller, settings, rows), next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a business")
async def create_business(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, body: BusinessIn
) -> BusinessOut:
    service.require_manager(caller, settings)
    business = await service.create_business(session, body, by=caller.name)
    return (await service.to_out(session, caller, settings, [business]))[0]


@router.post("/import", summary="Import the existing list from CSV (per-row summary)")
async def import_businesses(
    request: Request, session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, dry_run: bool = False
) -> BusinessImportSummaryOut:
    service.require_manager(caller, settings)
    return await service.import_csv(session, await request.body(), dry_run=dry_run, by=caller.name)


@router.get("/kpis", summary="Registry KPIs as of a date (default today)")
async def business_kpis(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, on: CalendarDay | None = None
) -> dict[str, object]:
    return await service.kpis(session, on=on or date.today(), settings=settings)


@router.get("/{business_id}", summary="One business")
async def get_business(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId
) -> BusinessOut:
    return (await service.to_out(session, caller, settings, [await service.get_business(session, business_id)]))[0]


@router.patch("/{business_id}", summary="Change registry fields")
async def update_business(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId, body: BusinessPatch
) -> BusinessOut:
    service.require_manager(caller, settings)
    business = await service.update_business(session, business_id, body)
    return (await service.to_out(session, caller, settings, [business]))[0]


@router.post("/{business_id}/status", summary="Suspend, close or reactivate, with a reason (kept in history)")
async def change_status(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId, body: StatusChangeIn
) -> BusinessOut:
    service.require_manager(caller, settings)
    business = await service.change_status(session, business_id, status=body.status, reason=body.reason, by=caller.name)
    return (await service.to_out(session, caller, settings, [business]))[0]


@router.get("/{business_id}/status-history", summary="Every status change")
async def status_history(session: SessionDep, caller: CallerDep, business_id: BusinessId) -> list[StatusChangeOut]:
    return [StatusChangeOut.model_validate(c) for c in await service.status_history(session, business_id)]


@router.get("/{business_id}/price-lists", summary="Every price list ever published (withdrawn ones included)")
async def all_price_lists(session: SessionDep, caller: CallerDep, business_id: BusinessId) -> list[PriceListOut]:
    return [PriceListOut.model_validate(p) for p in await service.price_lists(session, business_id)]


@router.post("/{business_id}/price-lists", status_code=status.HTTP_201_CREATED, summary="Publish a price list")
async def publish_price_list(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId, body: PriceListIn
) -> PriceListOut:
    service.require_price_editor(caller, settings, business_id)
    return PriceListOut.model_validate(await service.publish_price_list(session, business_id, body, by=caller.name))


@router.delete("/{business_id}/price-lists/{list_id}", summary="Withdraw a price list (it stays in history)")
async def withdraw_price_list(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId, list_id: uuid.UUID
) -> PriceListOut:
    service.require_price_editor(caller, settings, business_id)
    return PriceListOut.model_validate(await service.withdraw_price_list(session, business_id, list_id))


@router.post("/{business_id}/discrepancy", summary="Charged vs listed prices on a date (for complaints)")
async def discrepancy(
    session: SessionDep, caller: CallerDep, business_id: BusinessId, body: DiscrepancyIn
) -> DiscrepancyOut:
    return await service.discrepancy(session, business_id, body)


@router.get("/{business_id}/inspections", summary="Inspections with their violations, newest first")
async def list_inspections(session: SessionDep, caller: CallerDep, business_id: BusinessId) -> list[InspectionOut]:
    return [InspectionOut.model_validate(i) for i in await service.inspections(session, business_id)]


@router.post("/{business_id}/inspections", status_code=status.HTTP_201_CREATED, summary="Record an inspection")
async def record_inspection(
    session: SessionDep, caller: CallerDep, settings: BusinessSettingsDep, business_id: BusinessId, body: InspectionIn
) -> InspectionOut:
    service.require_manager(caller, settings)
    return InspectionOut.model_validate(await service.record_inspection(session, business_id, body, by=caller.name))


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
