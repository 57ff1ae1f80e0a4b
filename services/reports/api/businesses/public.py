"""The public business lookup (no personal data), for tourists and the city's apps."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.reports.api.deps import SearchText, TypeCode, WardCode
from services.reports.businesses import service
from services.reports.businesses.prices import service as prices
from services.reports.businesses.repository import BUSINESS_ORDER, BusinessFilter
from services.reports.businesses.schemas import BusinessPublicOut, PriceListPublicOut
from shared.deps import SessionDep
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/public/v1/businesses", tags=["public"], responses=PROBLEM_RESPONSES)

BusinessId = uuid.UUID


@router.get("", summary="Find businesses by name, type or ward (no personal data)")
async def public_search(
    session: SessionDep,
    sort: Annotated[str, Depends(BUSINESS_ORDER.sort_query("name"))],
    q: SearchText = None,
    type: Annotated[list[TypeCode], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    ward: Annotated[list[WardCode], Query()] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[BusinessPublicOut]:
    f = BusinessFilter(q=q, type=type, ward=ward)
    return await service.public_search(session=session, f=f, sort=sort, cursor=cursor, limit=limit)


@router.get("/{business_id}", summary="One business (no personal data)")
async def public_business(session: SessionDep, business_id: BusinessId) -> BusinessPublicOut:
    return await service.public_business(session=session, business_id=business_id)


@router.get("/{business_id}/prices", summary="The price list valid today (or on `on`)")
async def public_prices(session: SessionDep, business_id: BusinessId, on: date | None = None) -> PriceListPublicOut:
    return await prices.public_prices(session=session, business_id=business_id, on=on or date.today())
