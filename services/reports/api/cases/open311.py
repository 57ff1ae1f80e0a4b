"""Open311 GeoReport v2 endpoints (public through the gateway), each in JSON and XML by suffix.

``discovery``, ``services``, ``services/{code}``, ``requests`` (GET, POST), ``requests/{id}`` and
``tokens/{token}``, with or without ``.json``/``.xml`` (none is JSON). Every error is an Open311
error list (``open311_documents.Open311Route``).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from services.reports.api.cases.open311_documents import (
    FORMATS,
    Open311Route,
    document,
    response_format,
    without_format,
)
from services.reports.api.deps import PublicCallerDep, utcnow
from services.reports.cases.open311 import service
from services.reports.cases.open311.access import check_jurisdiction, client_of
from services.reports.cases.open311.filters import request_filter
from services.reports.cases.open311.schemas import RequestIn
from services.reports.cases.open311.settings import Open311Settings, get_open311_settings
from shared.deps import SessionDep
from shared.errors import InvalidInputError, NotFoundError

# attribute[code]=value, or attribute[code][]=value for each value of a multivaluelist.
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](?:\[\])?$")

# The format suffix of the ``.{fmt}`` paths, read by ``response_format`` rather than as an argument.
SUFFIX = {"parameters": [{"name": "fmt", "in": "path", "required": True, "schema": {"enum": list(FORMATS)}}]}
SettingsDep = Annotated[Open311Settings, Depends(get_open311_settings)]
Format = Annotated[str, Depends(response_format)]


async def _params(request: Request) -> dict[str, list[str]]:
    """The query parameters, plus the body's fields on a POST (form fields as GeoReport v2 sends them;
    a JSON object is accepted too), each name with all its values."""
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    if request.method != "POST":
        return params
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            doc = json.loads(await request.body())
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"body is not valid JSON: {exc}", field="body") from None
        if not isinstance(doc, dict):
            raise InvalidInputError("body must be an object", field="body")
        items = [(k, x) for k, v in doc.items() for x in (v if isinstance(v, list) else [v]) if x is not None]
    else:
        items = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    for key, value in items:
        params.setdefault(key, []).append(str(value))
    return params


Params = Annotated[dict[str, list[str]], Depends(_params)]


def attributes_of(params: dict[str, list[str]]) -> dict[str, list[str]]:
    """The ``attribute[code]`` fields of a request (also sent by the public page), values by code."""
    attributes: dict[str, list[str]] = {}
    for key, values in params.items():
        if m := _ATTRIBUTE.match(key):
            attributes.setdefault(m.group(1), []).extend(values)
    return attributes


def _first(params: dict[str, list[str]], name: str) -> str | None:
    return next((v for v in params.get(name, ()) if v != ""), None)


def _served(params: Params, settings: SettingsDep) -> None:
    check_jurisdiction(_first(params, "jurisdiction_id"), settings)


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route, dependencies=[Depends(_served)])


# The spec suggests offering discovery at the root of the endpoint too.
@router.get("", summary="Service discovery at the endpoint's root (JSON)")
@router.get("/discovery", summary="Service discovery: endpoint, formats, contact (GeoReport v2)")
@router.get(
    "/discovery.{fmt}", summary="Service discovery in the format of the suffix (json, xml)", openapi_extra=SUFFIX
)
async def discovery(session: SessionDep, settings: SettingsDep, out: Format) -> Response:
    return document("discovery", await service.discovery(session=session, settings=settings), out)


@router.get("/services", summary="Service list: the active case categories (the published ones for the public)")
@router.get("/services.{fmt}", summary="Service list in the format of the suffix (json, xml)", openapi_extra=SUFFIX)
async def services(session: SessionDep, caller: PublicCallerDep, out: Format) -> Response:
    return document("services", await service.services(session=session, caller=caller), out)


@router.get("/services/{code}", summary="Service definition: the attributes a request of this service takes")
async def definition(code: str, session: SessionDep, caller: PublicCallerDep, out: Format) -> Response:
    found = await service.definition(session=session, code=without_format(code), caller=caller)
    return document("service_definition", found, out)


@router.post("/requests", summary="Submit a service request (becomes a case)")
@router.post(
    "/requests.{fmt}", summary="Submit a service request, answered in the format of the suffix", openapi_extra=SUFFIX
)
async def create_request(
    params: Params, session: SessionDep, caller: PublicCallerDep, settings: SettingsDep, out: Format
) -> Response:
    client = client_of(_first(params, "api_key"), settings)
    fields: dict[str, Any] = {k: v[0] for k, v in params.items() if v and v[0] != "" and not _ATTRIBUTE.match(k)}
    attributes = attributes_of(params)
    try:
        body = RequestIn.model_validate({**fields, "attributes": attributes})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise InvalidInputError(f"{field}: {err['msg']}", field=field) from None
    answer = await service.submit(session=session, request_in=body, caller=caller, client=client, now=utcnow())
    return document("service_requests", [answer], out, status=201)


@router.get("/requests", summary="Service requests (newest first, at most 1000, the last 90 days by default)")
@router.get("/requests.{fmt}", summary="Service requests in the format of the suffix (json, xml)", openapi_extra=SUFFIX)
async def list_requests(params: Params, session: SessionDep, caller: PublicCallerDep, out: Format) -> Response:
    f = request_filter(
        service_request_id=_first(params, "service_request_id"),
        service_code=_first(params, "service_code"),
        start_date=_first(params, "start_date"),
        end_date=_first(params, "end_date"),
        status=_first(params, "status"),
        now=utcnow(),
    )
    return document("service_requests", await service.requests(session=session, f=f, caller=caller), out)


@router.get("/requests/{service_request_id}", summary="One service request")
async def get_request(service_request_id: str, session: SessionDep, caller: PublicCallerDep, out: Format) -> Response:
    raw = without_format(service_request_id)
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise NotFoundError(f"service_request_id {raw[:30]!r} not found")
    found = await service.one_request(session=session, case_id=int(raw), caller=caller)
    return document("service_requests", found, out)


@router.get("/tokens/{token}", summary="The service_request_id a token (from a batch service's POST) stands for")
async def from_token(token: str, session: SessionDep, caller: PublicCallerDep, out: Format) -> Response:
    found = await service.from_token(session=session, token=without_format(token), caller=caller)
    return document("service_requests", found, out)


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def unknown(rest: str) -> Response:
    raise NotFoundError(f"no Open311 resource '{rest[:100]}'")
