"""Site-clearance projects: the board reports progress, everyone sees completion and slippage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.reports.cases import projects
from services.reports.cases.access import require_role
from services.reports.cases.api.deps import CallerDep, RuntimeDep, utcnow
from services.reports.cases.calendar import local_date
from services.reports.cases.schemas import ProjectIn, ProjectOut, ProjectProgressIn
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/projects", tags=["site clearance"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, summary="Register a site-clearance project")
async def create(body: ProjectIn, rt: RuntimeDep, caller: CallerDep) -> ProjectOut:
    require_role(caller, "admin", "operator", "department")
    async with rt.database.session() as s:
        return await projects.create(s, body, utcnow())


@router.get("", summary="Projects with % complete and schedule slippage (repeat `ward` for any of several)")
async def list_projects(
    rt: RuntimeDep,
    caller: CallerDep,
    sort: Annotated[str, Depends(projects.PROJECT_ORDER.sort_query("code"))],
    ward: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ProjectOut]:
    async with rt.database.session() as s:
        return await projects.list_projects(s, local_date(utcnow()), ward, sort=sort, cursor=cursor, limit=limit)


@router.get("/{project_id}", summary="One project with its progress history and linked cases")
async def get_project(project_id: int, rt: RuntimeDep, caller: CallerDep) -> ProjectOut:
    async with rt.database.session() as s:
        return await projects.get(s, project_id, local_date(utcnow()))


@router.post("/{project_id}/progress", summary="Report cumulative progress as of a date")
async def report(project_id: int, body: ProjectProgressIn, rt: RuntimeDep, caller: CallerDep) -> ProjectOut:
    require_role(caller, "admin", "operator", "department")
    async with rt.database.session() as s:
        return await projects.report(s, project_id, body, caller, local_date(utcnow()))
