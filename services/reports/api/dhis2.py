"""DHIS2 Web API subset, so DHIS2 clients work when pointed at ``<gateway>/dhis2``.

Authentication (HTTP Basic or ``Authorization: ApiToken …``) is checked by the gateway, which
forwards the caller's identity in the ``X-Cityops-*`` headers like for every other route.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from services.reports.api.deps import RuntimeDep, SessionDep
from services.reports.domain import completeness, dhis2
from services.reports.domain.access import authenticated
from services.reports.domain.imports import import_values
from services.reports.domain.periods import PeriodError, parse_period
from shared.errors import CityOpsError, InvalidInputError, UnauthorizedError
from shared.identity import Caller

router = APIRouter(prefix="/dhis2/api", tags=["dhis2"])


def _caller(request: Request) -> Caller | None:
    try:
        return authenticated(request.headers)
    except UnauthorizedError:
        return None


def _unauthorized() -> JSONResponse:
    return JSONResponse(
        {"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR", "message": "Unauthorized"},
        status_code=401,
        headers={"WWW-Authenticate": 'Basic realm="DHIS2"'},
    )


def _web_message(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {
            "httpStatus": "Conflict" if status == 409 else "Error",
            "httpStatusCode": status,
            "status": "ERROR",
            "message": message,
            **extra,
        },
        status_code=status,
    )


@router.get("/system/info", summary="Enough of DHIS2's system info for clients that check the version")
async def system_info() -> dict[str, str]:
    return {
        "version": "2.40.0",
        "revision": "cityops",
        "serverDate": datetime.now(UTC).isoformat(),
        "systemName": "cityops reports",
    }


@router.post("/dataValueSets", summary="Import a DHIS2 dataValueSet (bulk or form shape)")
@router.post("/dataValueSets.json", include_in_schema=False)
async def post_data_value_sets(
    request: Request,
    rt: RuntimeDep,
) -> JSONResponse:
    caller = _caller(request)
    if caller is None:
        return _unauthorized()
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type not in ("application/json", ""):
        return _web_message(415, f"Content type {content_type} is not supported; send application/json")
    try:
        dvs = dhis2.parse_data_value_set(await request.body(), dict(request.query_params))
    except InvalidInputError as exc:
        return _web_message(409 if exc.field != "body" else 400, exc.detail, errorCode="E7600")
    result = await import_values(rt.database, dvs.rows, caller=caller, options=dvs.options)
    complete: bool | str = False
    if dvs.complete_date and dvs.data_set and dvs.period and dvs.org_unit and not dvs.options.dry_run:
        try:
            async with rt.database.session() as session:
                await completeness.register_submission(
                    session, caller, dvs.data_set, dvs.org_unit, dvs.period, datetime.now(UTC)
                )
            complete = True
        except CityOpsError as exc:
            complete = f"false ({exc.detail})"
    code, body = dhis2.import_summary(result.summary, dvs.rows, complete)
    return JSONResponse(body, status_code=code)


@router.get("/dataValueSets", summary="Read values back as a DHIS2 dataValueSet")
@router.get("/dataValueSets.json", include_in_schema=False)
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
    if _caller(request) is None:
        return _unauthorized()
    if not dataSet and not dataElement:
        return _web_message(409, "At least one data set or data element must be specified", errorCode="E2001")
    if not period and not (startDate and endDate):
        return _web_message(409, "At least one valid period or start/end dates must be specified", errorCode="E2002")
    if not orgUnit:
        return _web_message(409, "At least one valid organisation unit must be specified", errorCode="E2003")
    try:
        periods = [parse_period(p).iso for p in period or []]
    except PeriodError as exc:
        return _web_message(409, f"Invalid period: {exc}", errorCode="E2005")
    rows = await session.execute(
        text(
            """
            WITH RECURSIVE ous AS (
                SELECT id FROM reports.department WHERE code = ANY(:ous)
                UNION SELECT d.id FROM reports.department d JOIN ous ON d.parent_id = ous.id AND :children
            ), des AS (
                SELECT fi.indicator_id AS id FROM reports.report_form_indicator fi
                JOIN reports.report_form f ON f.id = fi.form_id WHERE f.code = ANY(:ds)
                UNION SELECT id FROM reports.indicator WHERE code = ANY(:des)
            )
            SELECT i.code AS de, v.period, d.code AS ou, v.value, v.stored_by, v.created_at, v.updated_at, v.comment
            FROM reports.data_value v
            JOIN reports.indicator i ON i.id = v.indicator_id JOIN reports.department d ON d.id = v.department_id
            WHERE v.indicator_id IN (SELECT id FROM des) AND v.department_id IN (SELECT id FROM ous)
              AND (cardinality(CAST(:periods AS text[])) = 0 OR v.period = ANY(:periods))
              AND (CAST(:start AS date) IS NULL OR v.start_date >= CAST(:start AS date))
              AND (CAST(:end AS date) IS NULL OR v.end_date <= CAST(:end AS date))
            ORDER BY d.code, i.code, v.start_date
            """
        ),
        {
            "ous": orgUnit,
            "children": children,
            "ds": dataSet or [],
            "des": dataElement or [],
            "periods": periods,
            "start": _date(startDate, "startDate"),
            "end": _date(endDate, "endDate"),
        },
    )
    values = []
    for r in rows:
        item: dict[str, Any] = {
            "dataElement": r.de,
            "period": dhis2.dhis2_period(r.period),
            "orgUnit": r.ou,
            "categoryOptionCombo": "default",
            "attributeOptionCombo": "default",
            "value": r.value,
            "storedBy": r.stored_by,
            "created": r.created_at.isoformat(),
            "lastUpdated": r.updated_at.isoformat(),
            "followup": False,
        }
        if r.comment is not None:
            item["comment"] = r.comment
        values.append(item)
    body: dict[str, Any] = {"dataValues": values}
    if dataSet and len(dataSet) == 1:
        body["dataSet"] = dataSet[0]
    if period and len(period) == 1:
        body["period"] = period[0]
    if len(orgUnit) == 1:
        body["orgUnit"] = orgUnit[0]
    return JSONResponse(body)


def _date(value: str | None, field: str) -> Any:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise InvalidInputError(f"{field} must be a date (YYYY-MM-DD)", field=field) from None
