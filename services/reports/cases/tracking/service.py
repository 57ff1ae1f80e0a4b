"""Use cases of the public page: file a report (an Open311 request of a public category, with a photo
made safe by ``photos.py``), follow it by its tracking code, ask for the link to rate it once handled.

The tracking code is the report's Open311 token, made short enough to copy from a phone screen: 12
characters of an alphabet without look-alikes (60 bits; the gateway's per-client rate limit makes
guessing one hopeless). Whoever holds it is treated as the reporter: they see the status and the
public timeline, never who handled the case, comments or contact details.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.categories import repository as categories
from services.reports.cases.models import Case
from services.reports.cases.open311 import repository as open311_requests
from services.reports.cases.open311 import service as open311
from services.reports.cases.open311.schemas import RequestIn
from services.reports.cases.repository import get_case
from services.reports.cases.satisfaction.repository import issue_token
from services.reports.cases.tracking import repository
from services.reports.cases.tracking.models import CasePhoto
from services.reports.cases.tracking.photos import clean_photo
from services.reports.cases.tracking.schemas import FiledOut, RatingLinkOut, TimelineItemOut, TrackedOut
from services.reports.cases.workflow import OPEN_STATUSES
from shared.errors import ConflictError, NotFoundError
from shared.identity import Caller
from shared.scoping import readable_departments

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
CODE_LENGTH = 12
CLIENT = "public-page"  # the Open311 client the public page's reports are filed as
RATEABLE = ("resolved", "closed")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normal_code(typed: str) -> str:
    """The code as issued (``ABCD-EFGH-JKLM``) from what someone typed (any case, spaces, dashes)."""
    raw = re.sub(r"[\s-]", "", typed.upper())[:40]
    if len(raw) != CODE_LENGTH or any(c not in ALPHABET for c in raw):
        raise NotFoundError("no report has this code")
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


async def file_report(
    *,
    session: AsyncSession,
    request_in: RequestIn,
    photo: bytes | None,
    share_photo_location: bool,
    caller: Caller,
    now: datetime,
) -> FiledOut:
    clean = clean_photo(photo, keep_location=share_photo_location) if photo else None
    code = new_code()
    answer = await open311.submit(
        session=session, request_in=request_in, caller=caller, client=CLIENT, now=now, token=code
    )
    case = await _case_of(session, code)
    if clean is not None:
        photo_id = await repository.add_photo(session, case_id=case.id, photo=clean, at=now)
        # Where staff open it (forwarded by the gateway to ``photo_for_staff``).
        case.attachments = [*case.attachments, f"/api/v1/cases/{case.id}/photos/{photo_id}"]
    return FiledOut(code=code, ward=case.ward, service_notice=answer["service_notice"], photo=clean is not None)


async def _case_of(session: AsyncSession, code: str) -> Case:
    """The case behind a tracking code, if it is one the public may follow (a published category)."""
    found = await open311_requests.by_token(session, code)
    if found is None:
        raise NotFoundError("no report has this code")
    case = await get_case(session, found.case_id, readable=None)
    category = await categories.find(session, case.category)
    if category is None or not category.public:
        raise NotFoundError("no report has this code")
    return case


async def follow(*, session: AsyncSession, code: str) -> TrackedOut:
    code = normal_code(code)
    case = await _case_of(session, code)
    rated = await repository.rated(session, case.id)
    outcome = (case.outcome or {}).get("result_text")
    return TrackedOut(
        code=code,
        service_code=case.category,
        service_name=await repository.category_name(session, case.category),
        status=case.status,
        open=case.status in OPEN_STATUSES,
        ward=case.ward,
        received_at=case.received_at,
        expected_at=case.due_at,
        updated_at=case.updated_at,
        outcome_text=outcome if isinstance(outcome, str) else None,
        timeline=[
            TimelineItemOut(at=e.at, kind=e.kind, status=e.to_status or ("new" if e.kind == "created" else None))
            for e in await repository.timeline(session, case.id)
        ],
        can_rate=case.status in RATEABLE and not rated,
        rated=rated,
    )


async def rating_link(*, session: AsyncSession, code: str, now: datetime) -> RatingLinkOut:
    """A fresh one-time link to rate the handled case (earlier unused links of the case stop working)."""
    case = await _case_of(session, normal_code(code))
    if case.status not in RATEABLE:
        raise ConflictError("a report can be rated once it is resolved or closed")
    if await repository.rated(session, case.id):
        raise ConflictError("this report has already been rated")
    return RatingLinkOut(token=await issue_token(session, case.id, now))


async def photo_for_staff(*, session: AsyncSession, case_id: int, photo_id: int, caller: Caller) -> CasePhoto:
    """A report's photo, for those who may read the case (another department's is as missing)."""
    await get_case(session, case_id, readable=readable_departments(caller))
    return await repository.photo(session, case_id=case_id, photo_id=photo_id)
