"""Cases: create, list, read, move through the workflow, comment, merge duplicates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.reports.cases import cases
from services.reports.cases.access import require_role, sees_personal_data
from services.reports.cases.api.deps import CallerDep, RuntimeDep, utcnow
from services.reports.cases.events import stage
from services.reports.cases.metrics import CASES_CREATED, TRANSITIONS
from services.reports.cases.schemas import (
    CaseDetail,
    CaseIn,
    CaseOut,
    CasesSummary,
    Clearance,
    CommentIn,
    MergeIn,
    Source,
    Status,
    TransitionIn,
    TransitionOut,
)
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/cases", tags=["cases"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, summary="Record a case")
async def create_case(body: CaseIn, rt: RuntimeDep, caller: CallerDep) -> CaseDetail:
    require_role(caller, "admin", "operator", "department", "leader")
    now = utcnow()
    async with rt.database.session() as s:
        case, event = await cases.create_case(s, body, actor=caller.name, now=now)
        out = await cases.to_detail(s, case, now, personal_data=sees_personal_data(caller))
        stage(s, [event])
    CASES_CREATED.labels(case.source).inc()
    return out


@router.get("", summary="List cases (newest first by default, no personal data; repeat a filter for any of several)")
async def list_cases(
    rt: RuntimeDep,
    caller: CallerDep,
    sort: Annotated[str, Depends(cases.CASE_ORDER.sort_query("-id"))],
    status: Annotated[list[Status], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    category: Annotated[list[str], Query()] = [],  # noqa: B006
    ward: Annotated[list[str], Query()] = [],  # noqa: B006
    department: Annotated[list[str], Query()] = [],  # noqa: B006
    source: Annotated[list[Source], Query()] = [],  # noqa: B006
    overdue: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CaseOut]:
    f = cases.CaseFilter(
        status=status, category=category, ward=ward, department=department, source=source, overdue=overdue
    )
    async with rt.database.session() as s:
        return await cases.list_cases(s, f, utcnow(), sort=sort, cursor=cursor, limit=limit)


@router.get("/summary", summary="Open and overdue cases by category (city overview)")
async def cases_summary(rt: RuntimeDep, caller: CallerDep) -> CasesSummary:
    async with rt.database.session() as s:
        return await cases.summary(s, utcnow())


@router.get("/{case_id}", summary="One case with its timeline (reporter contact for authorised roles)")
async def get_case(case_id: int, rt: RuntimeDep, caller: CallerDep) -> CaseDetail:
    now = utcnow()
    async with rt.database.session() as s:
        case = await cases.get_case(s, case_id)
        return await cases.to_detail(s, case, now, personal_data=sees_personal_data(caller))


@router.get("/{case_id}/duplicates", summary="Open cases of the same category nearby, nearest first")
async def duplicates(case_id: int, rt: RuntimeDep, caller: CallerDep) -> list[CaseOut]:
    async with rt.database.session() as s:
        return await cases.duplicate_candidates(s, case_id, utcnow())


@router.post(
    "/{case_id}/transitions",
    summary="Move a case to another status (409 names the allowed moves)",
)
async def transition(case_id: int, body: TransitionIn, rt: RuntimeDep, caller: CallerDep) -> TransitionOut:
    now = utcnow()
    async with rt.database.session() as s:
        moved = await cases.transition(s, case_id, body, caller, now)
        out = await cases.to_detail(s, moved.case, now, personal_data=sees_personal_data(caller))
        stage(s, [moved.event])
    TRANSITIONS.labels(body.to).inc()
    link = f"/ratings/{moved.rating_token}" if moved.rating_token and sees_personal_data(caller) else None
    return TransitionOut(case=out, rating_link=link)


@router.post("/{case_id}/comments", status_code=201, summary="Add a comment to the timeline")
async def add_comment(case_id: int, body: CommentIn, rt: RuntimeDep, caller: CallerDep) -> CaseDetail:
    now = utcnow()
    async with rt.database.session() as s:
        case = await cases.comment(s, case_id, body.comment, caller, now)
        out = await cases.to_detail(s, case, now, personal_data=sees_personal_data(caller))
        stage(s, [cases.changed(case, "commented", caller.name, now)])
    return out


@router.put("/{case_id}/clearance", summary="Update the site-clearance details of a case")
async def update_clearance(case_id: int, body: Clearance, rt: RuntimeDep, caller: CallerDep) -> CaseDetail:
    now = utcnow()
    async with rt.database.session() as s:
        case = await cases.update_clearance(s, case_id, body, caller, now)
        out = await cases.to_detail(s, case, now, personal_data=sees_personal_data(caller))
        stage(s, [cases.changed(case, "clearance", caller.name, now)])
    return out


@router.post("/{case_id}/merge", summary="Close a case as a duplicate of another")
async def merge(case_id: int, body: MergeIn, rt: RuntimeDep, caller: CallerDep) -> CaseDetail:
    require_role(caller, "admin", "operator")
    now = utcnow()
    async with rt.database.session() as s:
        case, events = await cases.merge(s, case_id, body.into, caller, now, body.comment)
        out = await cases.to_detail(s, case, now, personal_data=sees_personal_data(caller))
        stage(s, events)
    return out
