"""Open311 GeoReport v2 endpoints (public through the gateway)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from services.reports.api.deps import PublicCallerDep, utcnow
from services.reports.cases.open311 import service
from services.reports.cases.open311.repository import RequestFilter
from services.reports.cases.open311.schemas import RequestIn
from shared.deps import SessionDep
from shared.errors import InvalidInputError
from shared.params import Instant
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/open311/v2", tags=["open311"], responses=PROBLEM_RESPONSES)


def _ids(raw: str | None) -> list[int]:
    if not raw:
        return []
    try:
        return [int(x) for x in raw.split(",") if x.strip()]
    except ValueError:
        raise InvalidInputError(
            "service_request_id must be comma-separated numbers", field="service_request_id"
        ) from None


async def _body(request: Request) -> dict[str, Any]:
    """GeoReport v2 posts form fields; JSON bodies are accepted too."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            doc = json.loads(await request.body())
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"body is not valid JSON: {exc}", field="body") from None
        if not isinstance(doc, dict):
            raise InvalidInputError("body must be an object", field="body")
        return doc
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and v != ""}


@router.get("/services.json", summary="Service list: the active case categories (the published ones for the public)")
async def services(session: SessionDep, caller: PublicCallerDep) -> list[dict[str, Any]]:
    return await service.services(session=session, caller=caller)


@router.post("/requests.json", status_code=201, summary="Submit a service request (becomes a case)")
async def create_request(request: Request, session: SessionDep, caller: PublicCallerDep) -> list[dict[str, Any]]:
    raw = await _body(request)
    try:
        body = RequestIn.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise InvalidInputError(f"{field}: {err['msg']}", field=field) from None
    return [await service.submit(session=session, request_in=body, caller=caller, now=utcnow())]


@router.get(
    "/requests.json",
    summary="Service requests (newest first, at most 200; for the public: published categories, last 90 days)",
)
async def list_requests(
    session: SessionDep,
    caller: PublicCallerDep,
    service_request_id: str | None = None,
    service_code: Annotated[str | None, Query(description="comma-separated")] = None,
    start_date: Instant | None = None,
    end_date: Instant | None = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
) -> list[dict[str, Any]]:
    codes = [c for c in (service_code or "").split(",") if c]
    f = RequestFilter(ids=_ids(service_request_id), service_codes=codes, start=start_date, end=end_date, status=status)
    return await service.requests(session=session, f=f, caller=caller, now=utcnow())


@router.get("/requests/{service_request_id}.json", summary="One service request")
async def get_request(service_request_id: int, session: SessionDep, caller: PublicCallerDep) -> list[dict[str, Any]]:
    return await service.one_request(session=session, case_id=service_request_id, caller=caller, now=utcnow())
