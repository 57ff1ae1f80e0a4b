"""DHIS2 metadata routes, read only: system/info, me, the five metadata types (lists, single objects, the
org unit tree) and the metadata export. JSON only (an ``.xml``/``.csv`` suffix or Accept gets 406).

Errors are DHIS2 WebMessages: a bad ``fields``/``filter``/``order``/paging parameter 400, an unknown id
404 (``E1005``), no caller 401 with ``WWW-Authenticate``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.api.dhis2.common import dhis2_caller, unauthorized, web_message
from services.reports.datavalues.dhis2.metadata import service
from services.reports.datavalues.dhis2.metadata.objects import KINDS
from shared.deps import SessionDep
from shared.errors import InvalidInputError, NotFoundError
from shared.identity import Caller

router = APIRouter(prefix="/dhis2/api", tags=["dhis2"])

Call = Callable[[Caller, dict[str, list[str]]], Awaitable[dict[str, Any]]]


def _accepts_json(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    return not accept or any(t in accept for t in ("json", "*/*", "application/*"))


async def _answer(request: Request, call: Call) -> JSONResponse:
    caller = dhis2_caller(request)
    if caller is None:
        return unauthorized()
    if not _accepts_json(request):
        return web_message(406, "Only JSON is served for metadata: ask for application/json (or .json)")
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    try:
        return JSONResponse(await call(caller, params))
    except InvalidInputError as exc:
        return web_message(400, exc.detail)
    except NotFoundError as exc:
        return web_message(404, exc.detail, **exc.extra)


@router.get("/system/info", summary="DHIS2 system info (version, server date, time zone, context path)")
async def system_info(request: Request) -> JSONResponse:
    async def call(caller: Caller, params: dict[str, list[str]]) -> dict[str, Any]:
        return service.system_info(now=datetime.now(UTC), user_agent=request.headers.get("user-agent"))

    return await _answer(request, call)


async def _me(request: Request, session: AsyncSession) -> JSONResponse:
    async def call(caller: Caller, params: dict[str, list[str]]) -> dict[str, Any]:
        return await service.me(session, caller=caller, params=params)

    return await _answer(request, call)


@router.get("/me", summary="The signed-in caller as a DHIS2 user (org units, authorities, data sets)")
async def me(request: Request, session: SessionDep) -> JSONResponse:
    return await _me(request, session)


@router.get("/currentUser", summary="DHIS2's former name of /me")
async def current_user(request: Request, session: SessionDep) -> JSONResponse:
    return await _me(request, session)


@router.get("/metadata", summary="DHIS2 metadata export (all types, or those named; fields default :owner)")
async def metadata(request: Request, session: SessionDep) -> JSONResponse:
    async def call(caller: Caller, params: dict[str, list[str]]) -> dict[str, Any]:
        return await service.export(session, params=params, now=datetime.now(UTC))

    return await _answer(request, call)


@router.get(
    "/organisationUnits/{ident}/{relation}",
    summary="An org unit's children, descendants, ancestors or parents (DHIS2 list shape)",
)
async def org_unit_relatives(
    request: Request,
    session: SessionDep,
    ident: str,
    relation: Literal["children", "descendants", "ancestors", "parents"],
) -> JSONResponse:
    async def call(caller: Caller, params: dict[str, list[str]]) -> dict[str, Any]:
        return await service.org_unit_relatives(session, ident=ident, relation=relation, params=params, caller=caller)

    return await _answer(request, call)


def _lister(kind: str) -> Callable[[Request, AsyncSession], Awaitable[JSONResponse]]:
    async def route(request: Request, session: SessionDep) -> JSONResponse:
        async def call(caller: Caller, params: dict[str, list[str]]) -> dict[str, Any]:
            return await service.list_objects(session, kind=kind, params=params, caller=caller)

        return await _answer(request, call)

    return route


def _getter(kind: str) -> Callable[[Request, AsyncSession, str], Awaitable[JSONResponse]]:
    async def route(request: Request, session: SessionDep, ident: str) -> JSONResponse:
        async def call(caller: Caller, params: dict[str, list[str]]) -> dict[str, Any]:
            return await service.get_object(session, kind=kind, ident=ident, params=params, caller=caller)

        return await _answer(request, call)

    return route


for _kind in KINDS:
    router.add_api_route(
        f"/{_kind}", _lister(_kind), methods=["GET"], summary=f"DHIS2 {_kind}: fields, filter, order, paging"
    )
    router.add_api_route(
        f"/{_kind}/{{ident}}", _getter(_kind), methods=["GET"], summary=f"One of DHIS2's {_kind} by UID (or code)"
    )
