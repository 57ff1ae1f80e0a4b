"""DHIS2 data routes (values in, values out), so DHIS2 clients work when pointed at ``<gateway>/dhis2``.

Authentication (HTTP Basic or ``Authorization: ApiToken …``) is checked by the gateway, which
vouches for the caller in its identity token like for every other route.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.reports.api.dhis2.common import dhis2_caller, unauthorized, web_message
from services.reports.datavalues.dhis2 import service
from services.reports.datavalues.periods import PeriodError, parse_period
from shared.deps import RuntimeDep, SessionDep
from shared.errors import InvalidInputError

router = APIRouter(prefix="/dhis2/api", tags=["dhis2"])


@router.post("/dataValueSets", summary="Import a DHIS2 dataValueSet (bulk or form shape)")
async def post_data_value_sets(
    request: Request,
    rt: RuntimeDep,
) -> JSONResponse:
    caller = dhis2_caller(request)
    if caller is None:
        return unauthorized()
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type not in ("application/json", ""):
        return web_message(415, f"Content type {content_type} is not supported; send application/json")
    try:
        dvs = service.parse_data_value_set(await request.body(), dict(request.query_params))
    except InvalidInputError as exc:
        return web_message(409 if exc.field != "body" else 400, exc.detail, errorCode="E7600")
    code, body = await service.import_data_value_set(database=rt.database, caller=caller, dvs=dvs)
    return JSONResponse(body, status_code=code)


@router.get("/dataValueSets", summary="Read values back as a DHIS2 dataValueSet")
async def get_data_value_sets(
    request: Request,
    session: SessionDep,
    dataSet: Annotated[list[str] | None, Query()] = None,
    dataElement: Annotated[list[str] | None, Query()] = None,
    period: Annotated[list[str] | None, Query()] = None,
    startDate: str | None = None,
    endDate: str | None = None,
    orgUnit: Annotated[list[str] | None, Query()] = None,
    children: bool = False,
) -> JSONResponse:
    caller = dhis2_caller(request)
    if caller is None:
        return unauthorized()
    if not dataSet and not dataElement:
        return web_message(409, "At least one data set or data element must be specified", errorCode="E2001")
    if not period and not (startDate and endDate):
        return web_message(409, "At least one valid period or start/end dates must be specified", errorCode="E2002")
    if not orgUnit:
        return web_message(409, "At least one valid organisation unit must be specified", errorCode="E2003")
    try:
        periods = [parse_period(p).iso for p in period or []]
    except PeriodError as exc:
        return web_message(409, f"Invalid period: {exc}", errorCode="E2005")
    body = await service.data_value_set(
        session=session,
        data_sets=dataSet or [],
        data_elements=dataElement or [],
        periods=periods,
        start=_date(startDate, "startDate"),
        end=_date(endDate, "endDate"),
        org_units=orgUnit,
        children=children,
        caller=caller,
    )
    if dataSet and len(dataSet) == 1:
        body["dataSet"] = dataSet[0]
    if period and len(period) == 1:
        body["period"] = period[0]
    if len(orgUnit) == 1:
        body["orgUnit"] = orgUnit[0]
    return JSONResponse(body)


def _date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise InvalidInputError(f"{field} must be a date (YYYY-MM-DD)", field=field) from None
