"""Cases: create, list, read, move through the workflow, comment, merge duplicates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.reports.api.deps import CallerDep, utcnow
from services.reports.cases import clips, service
from services.reports.cases.repository import CASE_ORDER, CaseFilter
from services.reports.cases.schemas import (
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CasesBreakdownOut,
    CasesSummaryOut,
    ClearanceIn,
    ClipIn,
    CommentIn,
    MergeIn,
    Source,
    Status,
    TransitionIn,
    TransitionOut,
)
from shared.deps import SessionDep
from shared.pagination import Cursor, Limit, Page
from shared.params import Instant
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/cases", tags=["cases"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, summary="Record a case")
async def create_case(body: CaseIn, session: SessionDep, caller: CallerDep) -> CaseDetailOut:
    return await service.create_case(session=session, case_in=body, caller=caller, now=utcnow())


@router.get("", summary="List cases (newest first by default, no personal data; repeat a filter for any of several)")
async def list_cases(
    session: SessionDep,
    caller: CallerDep,
    sort: Annotated[str, Depends(CASE_ORDER.sort_query("-id"))],
    status: Annotated[list[Status], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    category: Annotated[list[str], Query()] = [],  # noqa: B006
    ward: Annotated[list[str], Query()] = [],  # noqa: B006
    department: Annotated[list[str], Query()] = [],  # noqa: B006
    source: Annotated[list[Source], Query()] = [],  # noqa: B006
    overdue: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CaseOut]:
    f = CaseFilter(status=status, category=category, ward=ward, department=department, source=source, overdue=overdue)
    return await service.list_cases(
        session=session, f=f, caller=caller, now=utcnow(), sort=sort, cursor=cursor, limit=limit
    )


@router.get("/summary", summary="Open and overdue cases by category (city overview)")
async def cases_summary(session: SessionDep, caller: CallerDep) -> CasesSummaryOut:
    return await service.summary(session=session, caller=caller, now=utcnow())


@router.get("/breakdown", summary="Cases received in [since, until) by category and status; overdue per department")
async def cases_breakdown(session: SessionDep, caller: CallerDep, since: Instant, until: Instant) -> CasesBreakdownOut:
    return await service.breakdown(session=session, caller=caller, since=since, until=until, now=utcnow())


@router.get("/{case_id}", summary="One case with its timeline (reporter contact for authorised roles)")
async def get_case(case_id: int, session: SessionDep, caller: CallerDep) -> CaseDetailOut:
    return await service.get_case(session=session, case_id=case_id, caller=caller, now=utcnow())


@router.get("/{case_id}/duplicates", summary="Open cases of the same category nearby, nearest first")
async def duplicates(case_id: int, session: SessionDep, caller: CallerDep) -> list[CaseOut]:
    return await service.duplicate_candidates(session=session, case_id=case_id, caller=caller, now=utcnow())


@router.post(
    "/{case_id}/transitions",
    summary="Move a case to another status (409 names the allowed moves)",
)
async def transition(case_id: int, body: TransitionIn, session: SessionDep, caller: CallerDep) -> TransitionOut:
    return await service.transition(session=session, case_id=case_id, transition_in=body, caller=caller, now=utcnow())


@router.post("/{case_id}/comments", status_code=201, summary="Add a comment to the timeline")
async def add_comment(case_id: int, body: CommentIn, session: SessionDep, caller: CallerDep) -> CaseDetailOut:
    return await service.comment(session=session, case_id=case_id, comment_in=body, caller=caller, now=utcnow())


@router.post(
    "/{case_id}/clips",
    status_code=201,
    summary="Attach a camera's footage of a range to the case (timeline clip link; kept as evidence)",
)
async def attach_clip(case_id: int, body: ClipIn, session: SessionDep, caller: CallerDep) -> CaseDetailOut:
    return await clips.attach_clip(session=session, case_id=case_id, clip_in=body, caller=caller, now=utcnow())


@router.put("/{case_id}/clearance", summary="Update the site-clearance details of a case")
async def update_clearance(case_id: int, body: ClearanceIn, session: SessionDep, caller: CallerDep) -> CaseDetailOut:
    return await service.update_clearance(
        session=session, case_id=case_id, clearance_in=body, caller=caller, now=utcnow()
    )


@router.post("/{case_id}/merge", summary="Close a case as a duplicate of another")
async def merge(case_id: int, body: MergeIn, session: SessionDep, caller: CallerDep) -> CaseDetailOut:
    return await service.merge(session=session, case_id=case_id, merge_in=body, caller=caller, now=utcnow())
