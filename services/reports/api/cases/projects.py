"""Site-clearance projects: the board reports progress, everyone sees completion and slippage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.reports.api.deps import CallerDep, utcnow
from services.reports.cases.calendar import local_date
from services.reports.cases.projects import service
from services.reports.cases.projects.repository import PROJECT_ORDER
from services.reports.cases.projects.schemas import ProjectIn, ProjectOut, ProjectProgressIn
from shared.deps import SessionDep
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/projects", tags=["site clearance"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, summary="Register a site-clearance project")
async def create(body: ProjectIn, session: SessionDep, caller: CallerDep) -> ProjectOut:
    return await service.create(session=session, project_in=body, caller=caller, now=utcnow())


@router.get("", summary="Projects with % complete and schedule slippage (repeat `ward` for any of several)")
async def list_projects(
    session: SessionDep,
    caller: CallerDep,
    sort: Annotated[str, Depends(PROJECT_ORDER.sort_query("code"))],
    ward: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ProjectOut]:
    return await service.list_projects(
        session=session, caller=caller, today=local_date(utcnow()), ward=ward, sort=sort, cursor=cursor, limit=limit
    )


@router.get("/{project_id}", summary="One project with its progress history and linked cases")
async def get_project(project_id: int, session: SessionDep, caller: CallerDep) -> ProjectOut:
    return await service.get(session=session, project_id=project_id, caller=caller, today=local_date(utcnow()))


@router.post("/{project_id}/progress", summary="Report cumulative progress as of a date")
async def report(project_id: int, body: ProjectProgressIn, session: SessionDep, caller: CallerDep) -> ProjectOut:
    return await service.report(
        session=session, project_id=project_id, progress_in=body, caller=caller, today=local_date(utcnow())
    )
