"""Open311 GeoReport v2 mapped onto cases: services are categories, requests are cases.

Only what the public may see leaves here: no reporter contact, no internal comments. Anonymous
callers see published (``public``) categories only and no cases opened from camera alerts; signed-in
staff see every active category and case. Every listing is bounded by the GeoReport filters
(``filters.py``: the most recent 90 days by default).
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import anonymous
from services.reports.cases.categories import repository as categories
from services.reports.cases.categories.schemas import AttributeValue, ServiceAttribute
from services.reports.cases.events import stage
from services.reports.cases.models import Case, Category
from services.reports.cases.open311 import attributes, repository
from services.reports.cases.open311.repository import RequestFilter
from services.reports.cases.open311.schemas import RequestIn
from services.reports.cases.open311.settings import Open311Settings
from services.reports.cases.schemas import CaseIn, ReporterIn
from services.reports.cases.service import count_created, open_case
from services.reports.cases.workflow import OPEN_STATUSES
from shared.errors import NotFoundError
from shared.identity import Caller

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("text/xml", "application/json")
MAX_REQUESTS = 1_000  # GeoReport v2's default limit
SLA_NOTICE = {"emergency": "1 working day", "quick": "3 working days"}
# Alert cases describe cameras and what they saw: for the operations centre, not the public.
PRIVATE_SOURCES = ("camera_alert",)


def service(cat: Category) -> dict[str, Any]:
    return {
        "service_code": cat.code,
        "service_name": cat.name,
        "description": cat.description or cat.name,
        "metadata": bool(cat.attributes),
        "type": cat.open311_type,
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


async def _offered(session: AsyncSession, code: str, caller: Caller) -> Category:
    """The active category behind ``code``, published if the caller is anonymous; 404 otherwise."""
    cat = await categories.find(session, code)
    if cat is None or not cat.active or (anonymous(caller) and not cat.public):
        raise NotFoundError(f"service_code '{code[:64]}' not found")
    return cat


async def _definitions(session: AsyncSession, cat: Category) -> list[ServiceAttribute]:
    """The category's attributes by order, with the choices of ``values_from`` attributes filled in."""
    found = sorted((ServiceAttribute.model_validate(a) for a in cat.attributes), key=lambda a: a.order)
    if any(a.values_from == "businesses" for a in found):
        choices = [AttributeValue(key=key, name=name) for key, name in await repository.businesses(session)]
        found = [a.model_copy(update={"values": choices}) if a.values_from else a for a in found]
    return found


async def services(*, session: AsyncSession, caller: Caller) -> list[dict[str, Any]]:
    found = await categories.categories(session, include_inactive=False, public_only=anonymous(caller))
    return [service(c) for c in found]


async def definition(*, session: AsyncSession, code: str, caller: Caller) -> dict[str, Any]:
    cat = await _offered(session, code, caller)
    return {
        "service_code": cat.code,
        "attributes": [
            {**a.model_dump(exclude={"values", "values_from"}), "values": [v.model_dump() for v in a.values]}
            for a in await _definitions(session, cat)
        ],
    }


async def submit(
    *,
    session: AsyncSession,
    request_in: RequestIn,
    caller: Caller,
    client: str | None,
    now: datetime,
    token: str | None = None,
) -> dict[str, Any]:
    """A citizen's request becomes a case; the answer carries its id (realtime service), a token that
    resolves to it (batch) or neither (blackbox). The actor is the client application, or the caller.
    ``token``: the one to issue instead of a random one (the public page's tracking code)."""
    body = request_in
    cat = await _offered(session, body.service_code, caller)
    values = attributes.validate(await _definitions(session, cat), body.attributes)
    name = " ".join(p for p in (body.first_name, body.last_name) if p) or None
    case_in = CaseIn(
        category=cat.code,
        title=(body.description.split("\n", 1)[0][:120]) or cat.name,
        description=body.description,
        lat=body.lat,
        lon=body.long,
        address=body.address_string,
        source="citizen",
        reporter=ReporterIn(name=name, phone=body.phone, email=body.email),
        attachments=[body.media_url] if body.media_url else [],
    )
    actor = f"open311:{client or caller.name}"
    case, event = await open_case(session=session, case_in=case_in, actor=actor, now=now)
    token = token or secrets.token_urlsafe(18)
    repository.add_request(session, case_id=case.id, token=token, client=client, attributes=values)
    stage(session, [event])
    count_created(session, "citizen")
    answer: dict[str, Any] = {
        "service_notice": f"Expected within {SLA_NOTICE.get(cat.sla_class, f'{cat.deadline_days} working days')}",
        "account_id": None,
    }
    if cat.open311_type == "realtime":
        return {"service_request_id": str(case.id), **answer}
    if cat.open311_type == "batch":
        return {"token": token, **answer}
    return answer


async def requests(*, session: AsyncSession, f: RequestFilter, caller: Caller) -> list[dict[str, Any]]:
    if anonymous(caller):
        f = replace(f, public_only=True, exclude_sources=PRIVATE_SOURCES)
    rows = await repository.requests(session, f, limit=MAX_REQUESTS)
    return [request_view(case, name) for case, name in rows]


async def one_request(*, session: AsyncSession, case_id: int, caller: Caller) -> list[dict[str, Any]]:
    found = await requests(session=session, f=RequestFilter(ids=[case_id]), caller=caller)
    if not found:
        raise NotFoundError(f"service_request_id {case_id} not found")
    return found


async def from_token(*, session: AsyncSession, token: str, caller: Caller) -> list[dict[str, Any]]:
    """The request a token stands for, if the caller may see it (the same rule as ``requests``)."""
    found = await repository.by_token(session, token)
    if found is None or not await requests(session=session, f=RequestFilter(ids=[found.case_id]), caller=caller):
        raise NotFoundError("token not found")
    return [{"service_request_id": str(found.case_id), "token": token}]


async def discovery(*, session: AsyncSession, settings: Open311Settings) -> dict[str, Any]:
    # Sortable, and moved on by any change of a service or its definition (the spec's meaning).
    changed = await repository.last_change(session) or datetime(2000, 1, 1, tzinfo=UTC)
    changeset = changed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "changeset": changeset,
        "contact": settings.contact,
        "key_service": settings.key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": settings.url,
                "changeset": changeset,
                "type": "production",
                "formats": list(FORMATS),
            }
        ],
    }
