"""Leadership directives: leaders issue, departments report progress, everyone sees what is late."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from services.reports.cases import directives
from services.reports.cases.access import require_role
from services.reports.cases.api.deps import CallerDep, RuntimeDep, utcnow
from services.reports.cases.events import stage
from services.reports.cases.schemas import DirectiveIn, DirectiveOut, DirectivesSummary, ProgressIn
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/directives", tags=["directives"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, summary="Issue a directive to one or more departments (leaders)")
async def issue(body: DirectiveIn, rt: RuntimeDep, caller: CallerDep) -> DirectiveOut:
    require_role(caller, "leader", "admin")
    now = utcnow()
    async with rt.database.session() as s:
        out = await directives.issue(s, body, caller, now)
        stage(s, [directives.event_from_out(out, "issued", caller.name, now)])
    return out


@router.get("", summary="Directives, nearest deadline first by default (repeat a filter for any of several)")
async def list_directives(
    rt: RuntimeDep,
    caller: CallerDep,
    sort: Annotated[str, Depends(directives.DIRECTIVE_ORDER.sort_query("deadline"))],
    department: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    status: Annotated[list[Literal["open", "in_progress", "done", "overdue"]], Query()] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DirectiveOut]:
    async with rt.database.session() as s:
        return await directives.list_directives(
            s, department=department, status=status, now=utcnow(), sort=sort, cursor=cursor, limit=limit
        )


@router.get("/summary", summary="Open and overdue directives, overdue count per department (city overview)")
async def summary(rt: RuntimeDep, caller: CallerDep) -> DirectivesSummary:
    async with rt.database.session() as s:
        return await directives.summary(s, utcnow())


@router.get("/overdue", summary="Per department: the directives it has not done by their deadline")
async def overdue(rt: RuntimeDep, caller: CallerDep) -> dict[str, list[DirectiveOut]]:
    async with rt.database.session() as s:
        return await directives.overdue_by_department(s, utcnow())


@router.get("/{directive_id}", summary="One directive with its progress reports")
async def get_directive(directive_id: int, rt: RuntimeDep, caller: CallerDep) -> DirectiveOut:
    async with rt.database.session() as s:
        return await directives.get(s, directive_id, utcnow())


@router.post("/{directive_id}/progress", summary="Report progress on a directive (addressed departments)")
async def progress(directive_id: int, body: ProgressIn, rt: RuntimeDep, caller: CallerDep) -> DirectiveOut:
    now = utcnow()
    async with rt.database.session() as s:
        out, event = await directives.report_progress(s, directive_id, body, caller, now)
        stage(s, [event])
    return out
