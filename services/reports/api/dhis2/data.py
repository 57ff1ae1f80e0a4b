"""DHIS2 data routes (value sets and single values in and out, async import jobs, complete
registrations), so DHIS2 clients work when pointed at ``<gateway>/dhis2``.

Authentication (HTTP Basic or ``Authorization: ApiToken …``) is checked by the gateway, which
vouches for the caller in its identity token like for every other route. Errors are DHIS2
WebMessages: 409 for a conflict in the request, 400 for an unreadable body, as DHIS2 answers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services.reports.api.dhis2.common import dhis2_caller, unauthorized, web_message
from services.reports.datavalues.dhis2 import ids, jobs, registrations, service, writers
from services.reports.datavalues.dhis2.formats import MEDIA_TYPES
from services.reports.datavalues.dhis2.summary import web_message as summary_message
from services.reports.datavalues.periods import PeriodError, parse_period
from shared.deps import RuntimeDep, SessionDep
from shared.errors import CityOpsError, InvalidInputError, PayloadTooLargeError
from shared.identity import Caller

router = APIRouter(prefix="/dhis2/api", tags=["dhis2"])
Ids = Annotated[list[str] | None, Query()]


def _error(exc: CityOpsError) -> JSONResponse:
    """A domain error as DHIS2 answers it: unreadable bodies 400, too big 413, missing 404, else 409."""
    if isinstance(exc, PayloadTooLargeError):
        return web_message(413, exc.detail)
    if exc.status == 404:
        return web_message(404, exc.detail)
    if exc.status == 403:
        return web_message(403, exc.detail)
    field = getattr(exc, "field", None)
    if field == "content-type":
        return web_message(415, exc.detail)
    return web_message(400 if field == "body" else 409, exc.detail, errorCode="E7600")


async def _answer(request: Request, work: Callable[[Caller], Awaitable[Response]]) -> Response:
    caller = dhis2_caller(request)
    if caller is None:
        return unauthorized()
    try:
        return await work(caller)
    except CityOpsError as exc:
        return _error(exc)


def _accepted_format(request: Request) -> str:
    """The first of ADX, CSV, XML the ``Accept`` header names (the path suffix sets it too); else JSON."""
    accept = request.headers.get("accept", "").lower()
    for fmt in ("adx", "csv", "xml"):
        if any(m in accept for m in MEDIA_TYPES[fmt]):
            return fmt
    return "json"


@router.post("/dataValueSets", summary="Import a DHIS2 data value set (JSON, CSV, XML or ADX; async=true runs a job)")
async def post_data_value_sets(request: Request, rt: RuntimeDep) -> Response:
    async def work(caller: Caller) -> Response:
        content_type = request.headers.get("content-type", "application/json")
        parsed, opts = service.parse_value_set(await request.body(), content_type, dict(request.query_params))

        async def run() -> dict[str, Any]:
            return await service.run_import(database=rt.database, caller=caller, parsed=parsed, opts=opts)

        if opts.asynchronous:
            job = await jobs.start(database=rt.database, caller=caller, job_type=jobs.DATAVALUE_IMPORT, work=run)
            return JSONResponse(
                {
                    "httpStatus": "OK",
                    "httpStatusCode": 200,
                    "status": "OK",
                    "message": "Initiated dataValueImport",
                    "response": job,
                }
            )
        code, body = summary_message(await run())
        return JSONResponse(body, status_code=code)

    return await _answer(request, work)


@router.get("/dataValueSets", summary="Read values as a DHIS2 data value set (JSON, CSV, XML or ADX)")
async def get_data_value_sets(
    request: Request,
    session: SessionDep,
    dataSet: Ids = None,
    dataElement: Ids = None,
    period: Ids = None,
    startDate: str | None = None,
    endDate: str | None = None,
    orgUnit: Ids = None,
    children: bool = False,
    lastUpdated: str | None = None,
    lastUpdatedDuration: str | None = None,
    limit: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    async def work(caller: Caller) -> Response:
        fmt = _accepted_format(request)
        if not dataSet and not dataElement:
            return web_message(409, "At least one data set or data element must be specified", errorCode="E2001")
        if fmt == "adx" and len(dataSet or []) != 1:
            return web_message(409, "An ADX export takes exactly one data set", errorCode="E2001")
        if not (period or (startDate and endDate) or lastUpdated or lastUpdatedDuration):
            return web_message(
                409,
                "At least one valid period, start/end dates, lastUpdated or lastUpdatedDuration must be specified",
                errorCode="E2002",
            )
        if not orgUnit:
            return web_message(409, "At least one valid organisation unit must be specified", errorCode="E2003")
        try:
            periods = [parse_period(p).iso for p in period or []]
        except PeriodError as exc:
            return web_message(409, f"Invalid period: {exc}", errorCode="E2005")
        params = dict(request.query_params)
        q = service.ValueSetQuery(
            data_sets=dataSet or [],
            data_elements=dataElement or [],
            org_units=orgUnit,
            periods=periods,
            start=_date(startDate, "startDate"),
            end=_date(endDate, "endDate"),
            since=service.changed_since(lastUpdated, lastUpdatedDuration, datetime.now(UTC)),
            children=children,
            combos=(),
            limit=limit,
            input=service.input_schemes(params),
            output=ids.Schemes.from_params({"idScheme": "CODE" if fmt == "adx" else "UID", **params}),
        )
        out = await service.read_value_set(session=session, caller=caller, q=q)
        if fmt == "csv":
            return Response(writers.as_csv(out), media_type="application/csv")
        if fmt == "xml":
            return Response(writers.as_xml(out), media_type="application/xml")
        if fmt == "adx" and out.data_set is not None:
            return Response(writers.as_adx(out, out.data_set), media_type="application/adx+xml")
        return JSONResponse(writers.as_json(out))

    return await _answer(request, work)


def _date(value: str | None, field: str) -> Any:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise InvalidInputError(f"{field} must be a date (YYYY-MM-DD)", field=field) from None


def _key(params: dict[str, Any]) -> service.ValueKey:
    missing = [k for k in ("de", "pe", "ou") if not params.get(k)]
    if missing:
        raise InvalidInputError(f"missing required parameter(s) {', '.join(missing)}", field=missing[0])
    co = params.get("co")
    return service.ValueKey(str(params["de"]), str(params["pe"]), str(params["ou"]), str(co) if co else None)


@router.get("/dataValues", summary="One value (de, pe, ou, co), as DHIS2 answers: the value in a list")
async def get_data_value(request: Request, session: SessionDep) -> Response:
    async def work(caller: Caller) -> Response:
        key = _key(dict(request.query_params))
        return JSONResponse(await service.read_value(session=session, caller=caller, key=key))

    return await _answer(request, work)


async def _write_one(rt: Any, caller: Caller, params: dict[str, Any], body: dict[str, Any], delete: bool) -> Response:
    key = _key(params)
    if delete:
        params = {**params, "importStrategy": "DELETE"}
    parsed, opts = service.single_value(key, body.get("value"), body.get("comment"), params)
    summary = await service.run_import(database=rt.database, caller=caller, parsed=parsed, opts=opts)
    if summary["conflicts"]:
        return web_message(409, summary["conflicts"][0]["value"], errorCode=summary["conflicts"][0]["errorCode"])
    if delete and summary["importCount"]["deleted"] == 0:
        return web_message(409, "Data value cannot be deleted because it does not exist")
    return Response(status_code=204 if delete else 201)


@router.post("/dataValues", summary="Store one value: query parameters de/pe/ou/co/value, or DHIS2's JSON body")
async def post_data_value(request: Request, rt: RuntimeDep) -> Response:
    async def work(caller: Caller) -> Response:
        params: dict[str, Any] = dict(request.query_params)
        body: dict[str, Any] = params
        if request.headers.get("content-type", "").startswith("application/json"):
            doc = await _json_body(request)
            names = {"dataElement": "de", "period": "pe", "orgUnit": "ou", "categoryOptionCombo": "co"}
            params = {**params, **{short: doc[long] for long, short in names.items() if doc.get(long)}}
            body = doc
        return await _write_one(rt, caller, params, body, delete=False)

    return await _answer(request, work)


@router.delete("/dataValues", summary="Delete one value (de, pe, ou, co)")
async def delete_data_value(request: Request, rt: RuntimeDep) -> Response:
    async def work(caller: Caller) -> Response:
        params = dict(request.query_params)
        return await _write_one(rt, caller, params, {}, delete=True)

    return await _answer(request, work)


async def _json_body(request: Request) -> Any:
    try:
        doc = json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"body is not valid JSON: {exc}", field="body") from None
    if not isinstance(doc, dict):
        raise InvalidInputError("body must be a JSON object", field="body")
    return doc


@router.get("/system/tasks/{category}/{job_id}", summary="The notifications of an async job (newest first)")
async def task(request: Request, rt: RuntimeDep, category: str, job_id: str) -> Response:
    async def work(caller: Caller) -> Response:
        return JSONResponse(
            await jobs.notifications(database=rt.database, caller=caller, job_type=category, job_id=job_id)
        )

    return await _answer(request, work)


@router.get("/system/taskSummaries/{category}/{job_id}", summary="The import summary of a finished async job")
async def task_summary(request: Request, rt: RuntimeDep, category: str, job_id: str) -> Response:
    async def work(caller: Caller) -> Response:
        return JSONResponse(await jobs.summary(database=rt.database, caller=caller, job_type=category, job_id=job_id))

    return await _answer(request, work)


@router.get("/completeDataSetRegistrations", summary="Data sets registered complete (submitted forms)")
async def get_registrations(
    request: Request,
    session: SessionDep,
    dataSet: Ids = None,
    period: Ids = None,
    orgUnit: Ids = None,
    children: bool = False,
    created: str | None = None,
    createdDuration: str | None = None,
) -> Response:
    async def work(caller: Caller) -> Response:
        if not dataSet or not orgUnit:
            return web_message(409, "At least one data set and one organisation unit must be specified")
        body = await registrations.read(
            session=session,
            caller=caller,
            data_sets=dataSet,
            org_units=orgUnit,
            periods=period or [],
            children=children,
            since=service.changed_since(created, createdDuration, datetime.now(UTC)),
            schemes=ids.Schemes.from_params(dict(request.query_params)),
        )
        return JSONResponse(body)

    return await _answer(request, work)


@router.post("/completeDataSetRegistrations", summary="Register data sets complete (DHIS2's JSON payload)")
async def post_registrations(request: Request, session: SessionDep) -> Response:
    async def work(caller: Caller) -> Response:
        doc = await _json_body(request)
        summary = await registrations.register(
            session=session, caller=caller, doc=doc, params=dict(request.query_params)
        )
        code = 409 if summary["conflicts"] else 200
        status = "OK" if code == 200 else ("ERROR" if summary["status"] == "ERROR" else "WARNING")
        return JSONResponse(
            {
                "httpStatus": "OK" if code == 200 else "Conflict",
                "httpStatusCode": code,
                "status": status,
                "message": "Import was successful." if code == 200 else "One more conflicts encountered",
                "response": summary,
            },
            status_code=code,
        )

    return await _answer(request, work)


@router.delete("/completeDataSetRegistrations", summary="Un-register a data set (ds, pe, ou)")
async def delete_registration(request: Request, session: SessionDep) -> Response:
    async def work(caller: Caller) -> Response:
        params = dict(request.query_params)
        missing = [k for k in ("ds", "pe", "ou") if not params.get(k)]
        if missing:
            raise InvalidInputError(f"missing required parameter(s) {', '.join(missing)}", field=missing[0])
        await registrations.unregister(
            session=session, caller=caller, data_set=params["ds"], period=params["pe"], org_unit=params["ou"]
        )
        return Response(status_code=204)

    return await _answer(request, work)
