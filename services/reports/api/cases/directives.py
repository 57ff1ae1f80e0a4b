"""Leadership directives: leaders issue, departments report progress, everyone sees what is late."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from services.reports.api.deps import CallerDep, utcnow
from services.reports.cases.directives import service
from services.reports.cases.directives.repository import DIRECTIVE_ORDER
from services.reports.cases.directives.schemas import DirectiveIn, DirectiveOut, DirectivesSummaryOut, ProgressIn
from shared.deps import SessionDep
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/directives", tags=["directives"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, summary="Issue a directive to one or more departments (leaders)")
async def issue(body: DirectiveIn, session: SessionDep, caller: CallerDep) -> DirectiveOut:
    return await service.issue(session=session, directive_in=body, caller=caller, now=utcnow())


@router.get("", summary="Directives, nearest deadline first by default (repeat a filter for any of several)")
async def list_directives(
    session: SessionDep,
    caller: CallerDep,
    sort: Annotated[str, Depends(DIRECTIVE_ORDER.sort_query("deadline"))],
    department: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    status: Annotated[list[Literal["open", "in_progress", "done", "overdue"]], Query()] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DirectiveOut]:
    return await service.list_directives(
        session=session,
        department=department,
        status=status,
        caller=caller,
        now=utcnow(),
        sort=sort,
        cursor=cursor,
        limit=limit,
    )


@router.get("/summary", summary="Open and overdue directives, overdue count per department (city overview)")
async def summary(session: SessionDep, caller: CallerDep) -> DirectivesSummaryOut:
    return await service.summary(session=session, caller=caller, now=utcnow())


@router.get("/overdue", summary="Per department: the directives it has not done by their deadline")
async def overdue(session: SessionDep, caller: CallerDep) -> dict[str, list[DirectiveOut]]:
    return await service.overdue_by_department(session=session, caller=caller, now=utcnow())


@router.get("/{directive_id}", summary="One directive with its progress reports")
async def get_directive(directive_id: int, session: SessionDep, caller: CallerDep) -> DirectiveOut:
    return await service.get(session=session, directive_id=directive_id, caller=caller, now=utcnow())


@router.post("/{directive_id}/progress", summary="Report progress on a directive (addressed departments)")
async def progress(directive_id: int, body: ProgressIn, session: SessionDep, caller: CallerDep) -> DirectiveOut:
    return await service.report_progress(
        session=session, directive_id=directive_id, progress_in=body, caller=caller, now=utcnow()
    )
