"""Footage attached to a case: a camera range in the case's timeline, with its clip link, kept as evidence.

Reports does not call ingest: the hold goes out as an ``EvidenceHoldRequested`` event through the outbox,
in the unit of work that adds the timeline entry, and ingest's durable consumer stores it. So the hold
exists if and only if the attachment was committed, survives ingest being down (the stream keeps it), and
the gateway stays a router with no use case of its own. When the case is closed or rejected an
``EvidenceHoldsReleased`` follows the same way (``service.transition``) and ingest lets the case's holds
lapse after its keep period; reopening keeps them again.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role
from services.reports.cases import repository
from services.reports.cases.events import stage, stage_holds_final
from services.reports.cases.schemas import CaseDetailOut, ClipIn
from services.reports.cases.service import changed, get_case, record
from services.reports.cases.workflow import FINAL_STATUSES
from services.reports.outbox import OUTBOX
from shared.identity import Caller
from shared.links import clip_url
from shared.messages import EvidenceHoldRequested
from shared.scoping import readable_departments
from shared.subjects import evidence_hold


async def attach_clip(
    *, session: AsyncSession, case_id: int, clip_in: ClipIn, caller: Caller, now: datetime
) -> CaseDetailOut:
    """Centre staff attach footage to any case they can read (another department's case is a 404 first)."""
    case = await repository.get_case(session, case_id, readable=readable_departments(caller), lock=True)
    require_role(caller, "admin", "operator", "leader")
    hold = EvidenceHoldRequested(
        hold_id=str(uuid.uuid4()), camera=clip_in.camera, start=clip_in.start, end=clip_in.end,
        reason=f"attached to case {case.id}" + (f": {clip_in.note}" if clip_in.note else ""),
        case_ref=str(case.id), by=caller.name, at=now,
    )  # fmt: skip
    case.updated_at = now
    data = {
        "camera": clip_in.camera,
        "start": clip_in.start.isoformat(),
        "end": clip_in.end.isoformat(),
        "clip_url": clip_url(clip_in.camera, clip_in.start, clip_in.end),
        "hold_id": hold.hold_id,
    }
    record(session, case, actor=caller.name, kind="clip", at=now, comment=clip_in.note, data=data)
    OUTBOX.stage(session, evidence_hold(clip_in.camera), hold)
    if case.status in FINAL_STATUSES:
        # Footage attached to a finished case is kept for the keep period from now, not forever.
        stage_holds_final(session, case.id, closed_at=now, by=caller.name, at=now)
    stage(session, [await changed(session, case, "clip_attached", caller.name, now)])
    return await get_case(session=session, case_id=case.id, caller=caller, now=now)
