"""Routes of the business registry: managed under /businesses, looked up publicly under /public/v1."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses import cases as business_cases
from services.reports.businesses import service
from services.reports.businesses.models import Business
from services.reports.businesses.schemas import (
    BusinessIn,
    BusinessPublic,
    BusinessRead,
    BusinessRequestIn,
    BusinessStatus,
    BusinessUpdate,
    CaseBusiness,
    ComplaintIn,
    DiscrepancyIn,
    DiscrepancyOut,
    ImportSummary,
    InspectionIn,
    InspectionRead,
    LinkedCase,
    Owner,
    PriceListIn,
    PriceListRead,
    StatusChangeIn,
    StatusChangeRead,
)
from services.reports.businesses.settings import BusinessSettings, get_business_settings
from services.reports.cases.events import stage as stage_case_events
from services.reports.domain.access import authenticated
from services.reports.domain.periods import CalendarDay
from shared.errors import ForbiddenError, NotFoundError
from shared.identity import Caller
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES
from shared.service import Runtime

router = APIRouter(prefix="/businesses", tags=["businesses"], responses=PROBLEM_RESPONSES)
case_router = APIRouter(prefix="/cases", tags=["businesses"], responses=PROBLEM_RESPONSES)
public_router = APIRouter(prefix="/public/v1/businesses", tags=["public"], responses=PROBLEM_RESPONSES)


async def session_dep(request: Request) -> AsyncIterator[AsyncSession]:
    runtime: Runtime = request.app.state.runtime
    async with runtime.database.session() as session:
        yield session


def caller_dep(request: Request) -> Caller:
    return authenticated(request.headers)


Session = Annotated[AsyncSession, Depends(session_dep)]
CallerDep = Annotated[Caller, Depends(caller_dep)]
Settings = Annotated[BusinessSettings, Depends(get_business_settings)]
BusinessId = uuid.UUID
SearchText = Annotated[str | None, Query(max_length=200, description="part of the name, or the exact licence number")]
TypeCode = Annotated[str, StringConstraints(max_length=40)]
WardCode = Annotated[str, StringConstraints(max_length=100)]
# Closed businesses are gone for tourists; suspended ones stay visible, marked suspended. Filtered in
# the query, not after it, so that every public page is full.
PUBLIC_STATUSES = ("active", "suspended")


async def _read(
    session: AsyncSession, caller: Caller, settings: BusinessSettings, rows: list[Business]
) -> list[BusinessRead]:
    today = date.today()
    ids = [b.id for b in rows]
    counts = await service.confirmed_violations(
        session, ids, on=today, window_days=settings.repeat_offender_window_days
    )
    listed = await service.businesses_with_current_list(session, ids, today)
    show_owner = service.sees_personal_data(caller)
    out = []
    for b in rows:
        read = BusinessRead.model_validate(b)
        read.confirmed_violations_12m = counts.get(b.id, 0)
        read.repeat_offender = read.confirmed_violations_12m >= settings.repeat_offender_violations
        read.has_current_price_list = b.id in listed
        if show_owner:
            read.owner = Owner(name=b.owner_name, phone=b.owner_phone, email=b.owner_email)
        out.append(read)
    return out


@router.get("", summary="Search businesses (owner contacts only for roles that may see personal data)")
async def list_businesses(
    session: Session,
    caller: CallerDep,
    settings: Settings,
    sort: Annotated[str, Depends(service.BUSINESS_ORDER.sort_query("name"))],
    q: SearchText = None,
    type: Annotated[list[TypeCode], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    ward: Annotated[list[WardCode], Query()] = [],  # noqa: B006
    status_: Annotated[list[BusinessStatus], Query(alias="status")] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[BusinessRead]:
    f = service.BusinessFilter(q=q, type=type, ward=ward, status=status_)
    rows, next_cursor = await service.search(session, f, sort=sort, cursor=cursor, limit=limit)
    return Page[BusinessRead](items=await _read(session, caller, settings, rows), next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a business")
async def create_business(session: Session, caller: CallerDep, settings: Settings, body: BusinessIn) -> BusinessRead:
    service.require_manager(caller, settings)
    business = await service.create_business(session, body, by=caller.name)
    return (await _read(session, caller, settings, [business]))[0]


@router.post("/import", summary="Import the existing list from CSV (per-row summary)")
async def import_businesses(
    request: Request, session: Session, caller: CallerDep, settings: Settings, dry_run: bool = False
) -> ImportSummary:
    service.require_manager(caller, settings)
    return await service.import_csv(session, await request.body(), dry_run=dry_run, by=caller.name)


@router.get("/kpis", summary="Registry KPIs as of a date (default today)")
async def business_kpis(
    session: Session, caller: CallerDep, settings: Settings, on: CalendarDay | None = None
) -> dict[str, object]:
    return await service.kpis(session, on=on or date.today(), settings=settings)


@router.get("/{business_id}", summary="One business")
async def get_business(
    session: Session, caller: CallerDep, settings: Settings, business_id: BusinessId
) -> BusinessRead:
    return (await _read(session, caller, settings, [await service.get_business(session, business_id)]))[0]


@router.patch("/{business_id}", summary="Change registry fields")
async def update_business(
    session: Session, caller: CallerDep, settings: Settings, business_id: BusinessId, body: BusinessUpdate
) -> BusinessRead:
    service.require_manager(caller, settings)
    business = await service.update_business(session, business_id, body)
    return (await _read(session, caller, settings, [business]))[0]


@router.post("/{business_id}/status", summary="Suspend, close or reactivate, with a reason (kept in history)")
async def change_status(
    session: Session, caller: CallerDep, settings: Settings, business_id: BusinessId, body: StatusChangeIn
) -> BusinessRead:
    service.require_manager(caller, settings)
    business = await service.change_status(session, business_id, status=body.status, reason=body.reason, by=caller.name)
    return (await _read(session, caller, settings, [business]))[0]


@router.get("/{business_id}/status-history", summary="Every status change")
async def status_history(session: Session, caller: CallerDep, business_id: BusinessId) -> list[StatusChangeRead]:
    return [StatusChangeRead.model_validate(c) for c in await service.status_history(session, business_id)]


@router.get("/{business_id}/price-lists", summary="Every price list ever published (withdrawn ones included)")
async def all_price_lists(session: Session, caller: CallerDep, business_id: BusinessId) -> list[PriceListRead]:
    return [PriceListRead.model_validate(p) for p in await service.price_lists(session, business_id)]


@router.post("/{business_id}/price-lists", status_code=status.HTTP_201_CREATED, summary="Publish a price list")
async def publish_price_list(
    session: Session, caller: CallerDep, settings: Settings, business_id: BusinessId, body: PriceListIn
) -> PriceListRead:
    service.require_price_editor(caller, settings, business_id)
    return PriceListRead.model_validate(await service.publish_price_list(session, business_id, body, by=caller.name))


@router.delete("/{business_id}/price-lists/{list_id}", summary="Withdraw a price list (it stays in history)")
async def withdraw_price_list(
    session: Session, caller: CallerDep, settings: Settings, business_id: BusinessId, list_id: uuid.UUID
) -> PriceListRead:
    service.require_price_editor(caller, settings, business_id)
    return PriceListRead.model_validate(await service.withdraw_price_list(session, business_id, list_id))


@router.post("/{business_id}/discrepancy", summary="Charged vs listed prices on a date (for complaints)")
async def discrepancy(
    session: Session, caller: CallerDep, business_id: BusinessId, body: DiscrepancyIn
) -> DiscrepancyOut:
    return await service.discrepancy(session, business_id, body)


@router.get("/{business_id}/inspections", summary="Inspections with their violations, newest first")
async def list_inspections(session: Session, caller: CallerDep, business_id: BusinessId) -> list[InspectionRead]:
    return [InspectionRead.model_validate(i) for i in await service.inspections(session, business_id)]


@router.post("/{business_id}/inspections", status_code=status.HTTP_201_CREATED, summary="Record an inspection")
async def record_inspection(
    session: Session, caller: CallerDep, settings: Settings, business_id: BusinessId, body: InspectionIn
) -> InspectionRead:
    service.require_manager(caller, settings)
    return InspectionRead.model_validate(await service.record_inspection(session, business_id, body, by=caller.name))


@router.post("/kpis/publish", summary="Write a month's registry KPIs into the department-data indicators")
async def publish_kpis(
    request: Request, caller: CallerDep, settings: Settings, period: str = Query(pattern=r"^\d{4}-\d{2}$")
) -> dict[str, object]:
    service.require_manager(caller, settings)
    runtime: Runtime = request.app.state.runtime
    return await business_cases.publish_kpis(runtime.database, period, settings)


@router.post("/{business_id}/requests", status_code=status.HTTP_201_CREATED,
             summary="File the business's request to the government (a `business_request` case)")  # fmt: skip
async def file_request(
    session: Session, caller: CallerDep, settings: Settings, business_id: BusinessId, body: BusinessRequestIn
) -> dict[str, object]:
    service.require_price_editor(caller, settings, business_id)
    case_id, event = await business_cases.file_request(session, business_id, body, caller=caller, now=datetime.now(UTC))
    stage_case_events(session, [event])
    await session.commit()
    return {"case_id": case_id, "business_id": str(business_id), "category": business_cases.REQUEST_CATEGORY}


@router.get("/{business_id}/cases", summary="Complaints about, and requests from, this business")
async def business_cases_list(session: Session, caller: CallerDep, business_id: BusinessId) -> list[LinkedCase]:
    return await business_cases.linked_cases(session, business_id)


@case_router.put("/{case_id}/business", summary="Name the business a complaint is about and what it charged")
async def link_complaint(session: Session, caller: CallerDep, case_id: int, body: ComplaintIn) -> CaseBusiness:
    if not caller.roles & {"admin", "leader", "operator", "department"}:
        raise ForbiddenError("only case handlers may link a case to a business")
    return await business_cases.link_complaint(session, case_id, body, by=caller.name)


@case_router.get("/{case_id}/business", summary="The business of a case; listed vs charged prices for a complaint")
async def get_case_business(session: Session, caller: CallerDep, case_id: int) -> CaseBusiness:
    return await business_cases.case_business(session, case_id)


@public_router.get("", summary="Find businesses by name, type or ward (no personal data)")
async def public_search(
    session: Session,
    sort: Annotated[str, Depends(service.BUSINESS_ORDER.sort_query("name"))],
    q: SearchText = None,
    type: Annotated[list[TypeCode], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    ward: Annotated[list[WardCode], Query()] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[BusinessPublic]:
    f = service.BusinessFilter(q=q, type=type, ward=ward, status=PUBLIC_STATUSES)
    rows, next_cursor = await service.search(session, f, sort=sort, cursor=cursor, limit=limit)
    return Page[BusinessPublic](items=[BusinessPublic.model_validate(b) for b in rows], next_cursor=next_cursor)


@public_router.get("/{business_id}", summary="One business (no personal data)")
async def public_business(session: Session, business_id: BusinessId) -> BusinessPublic:
    return BusinessPublic.model_validate(await service.get_business(session, business_id))


@public_router.get("/{business_id}/prices", summary="The price list valid today (or on `on`)")
async def public_prices(session: Session, business_id: BusinessId, on: date | None = None) -> PriceListRead:
    business = await service.get_business(session, business_id)
    price_list = await service.current_price_list(session, business.id, on or date.today())
    if price_list is None:
        raise NotFoundError(f"business {business_id} has no listed prices valid on {on or date.today()}")
    return PriceListRead.model_validate(price_list)
