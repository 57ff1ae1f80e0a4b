"""Open311 GeoReport v2 (JSON) mapped onto cases: services are categories, requests are cases.

Only what the public may see leaves here: no reporter contact, no internal comments. Anonymous
callers see published (``public``) categories only, no cases opened from camera alerts, and by
default the last 90 days (GeoReport v2); signed-in staff see every active category and case.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import anonymous
from services.reports.cases.categories import repository as categories
from services.reports.cases.events import stage
from services.reports.cases.models import Case, Category
from services.reports.cases.open311 import repository
from services.reports.cases.open311.repository import RequestFilter
from services.reports.cases.open311.schemas import RequestIn
from services.reports.cases.schemas import CaseIn, ReporterIn
from services.reports.cases.service import count_created, open_case
from services.reports.cases.workflow import OPEN_STATUSES
from shared.errors import InvalidInputError, NotFoundError
from shared.identity import Caller

MAX_REQUESTS = 200
SLA_NOTICE = {"emergency": "1 working day", "quick": "3 working days"}
PUBLIC_WINDOW = timedelta(days=90)
# Alert cases describe cameras and what they saw: for the operations centre, not the public.
PRIVATE_SOURCES = ("camera_alert",)


def service(cat: Category) -> dict[str, Any]:
    return {
        "service_code": cat.code,
        "service_name": cat.name,
        "description": cat.description or cat.name,
        "metadata": False,
        "type": "realtime",
        "keywords": cat.group_name,
        "group": cat.group_name,
    }


def _status_notes(case: Case) -> str | None:
    if case.duplicate_of is not None:
        return f"Duplicate of request {case.duplicate_of}"
    result = (case.outcome or {}).get("result_text")
    return result if isinstance(result, str) else None


def request_view(case: Case, service_name: str) -> dict[str, Any]:
    media = next((a for a in case.attachments if a.startswith(("http://", "https://"))), None)
    return {
        "service_request_id": str(case.id),
        "status": "open" if case.status in OPEN_STATUSES else "closed",
        "status_notes": _status_notes(case),
        "service_name": service_name,
        "service_code": case.category,
        "description": case.description,
        "agency_responsible": case.department,
        "service_notice": None,
        "requested_datetime": case.received_at.isoformat(),
        "updated_datetime": case.updated_at.isoformat(),
        "expected_datetime": case.due_at.isoformat(),
        "address": case.address,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": media,
    }


async def services(*, session: AsyncSession, caller: Caller) -> list[dict[str, Any]]:
    found = await categories.categories(session, include_inactive=False, public_only=anonymous(caller))
    return [service(c) for c in found]


async def submit(*, session: AsyncSession, request_in: RequestIn, caller: Caller, now: datetime) -> dict[str, Any]:
    """A citizen's request becomes a case (anyone may submit; the caller is recorded as its actor)."""
    body, actor = request_in, f"open311:{caller.name}"
    if anonymous(caller):
        offered = await categories.find(session, body.service_code)
        if offered is None or not offered.public:
            raise InvalidInputError(f"no service '{body.service_code}' is offered", field="service_code")
    name = " ".join(p for p in (body.first_name, body.last_name) if p) or None
    title = (body.description.split("\n", 1)[0][:120]) or body.service_code
    try:
        case_in = CaseIn(
            category=body.service_code,
            title=title,
            description=body.description,
            lat=body.lat,
            lon=body.long,
            address=body.address_string,
            source="citizen",
            reporter=ReporterIn(name=name, phone=body.phone, email=body.email),
            attachments=[body.media_url] if body.media_url else [],
        )
        case, event = await open_case(session=session, case_in=case_in, actor=actor, now=now)
    except InvalidInputError as exc:
        if exc.field == "category":
            raise InvalidInputError(exc.detail, field="service_code") from None
        raise
    cat = await categories.category(session, case.category)
    notice = f"Expected within {SLA_NOTICE.get(cat.sla_class, f'{cat.deadline_days} working days')}"
    stage(session, [event])
    count_created(session, "citizen")
    return {"service_request_id": str(case.id), "service_notice": notice, "account_id": None}


def _public(f: RequestFilter, now: datetime) -> RequestFilter:
    """The anonymous view of a query; asking for requests by id is not bounded in time."""
    start = f.start
    if start is None and not f.ids:
        start = (f.end or now) - PUBLIC_WINDOW
    return replace(f, start=start, public_only=True, exclude_sources=PRIVATE_SOURCES)


async def requests(*, session: AsyncSession, f: RequestFilter, caller: Caller, now: datetime) -> list[dict[str, Any]]:
    if anonymous(caller):
        f = _public(f, now)
    rows = await repository.requests(session, f, limit=MAX_REQUESTS)
    return [request_view(case, name) for case, name in rows]


async def one_request(*, session: AsyncSession, case_id: int, caller: Caller, now: datetime) -> list[dict[str, Any]]:
    found = await requests(session=session, f=RequestFilter(ids=[case_id]), caller=caller, now=now)
    if not found:
        raise NotFoundError(f"no service request {case_id}")
    return found
