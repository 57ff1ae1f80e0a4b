"""DHIS2 ``GET /api/analytics`` (``.json`` and versioned paths reach it through ``Dhis2Paths``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.reports.api.dhis2.common import dhis2_caller, unauthorized, web_message
from services.reports.datavalues.dhis2.analytics.query import AnalyticsQueryError, parse_query
from services.reports.datavalues.dhis2.analytics.service import analytics
from services.reports.datavalues.periods import local_today
from shared.deps import SessionDep

router = APIRouter(prefix="/dhis2/api", tags=["dhis2"])
JSON_TYPES = ("application/json", "*/*", "application/*")


@router.get("/analytics", summary="Aggregated values by data element, period and org unit (DHIS2 analytics)")
async def get_analytics(
    request: Request,
    session: SessionDep,
    dimension: Annotated[list[str] | None, Query()] = None,
    filter: Annotated[list[str] | None, Query()] = None,
) -> JSONResponse:
    caller = dhis2_caller(request)
    if caller is None:
        return unauthorized()
    accept = request.headers.get("accept", "application/json")
    if not any(t in accept for t in JSON_TYPES):
        return web_message(406, f"cityops analytics answers in JSON only, not {accept}")
    options = {k: v for k, v in request.query_params.items() if k not in ("dimension", "filter")}
    try:
        query = parse_query(dimensions=dimension or [], filters=filter or [], options=options)
        body = await analytics(session=session, query=query, caller=caller, today=local_today())
    except AnalyticsQueryError as exc:
        return web_message(409, exc.detail, errorCode=exc.error_code)
    return JSONResponse(body)
