"""Site-clearance projects: the board reports progress, everyone sees completion and slippage."""

from __future__ import annotations

from fastapi import APIRouter

from services.reports.cases import projects
from services.reports.cases.access import require_role
from services.reports.cases.api.deps import CallerDep, RuntimeDep, utcnow
from services.reports.cases.calendar import local_date
from services.reports.cases.schemas import ProjectIn, ProjectOut, ProjectProgressIn
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/projects", tags=["site clearance"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, summary="Register a site-clearance project")
async def create(body: ProjectIn, rt: RuntimeDep, caller: CallerDep) -> ProjectOut:
    require_role(caller, "admin", "operator", "department")
    async with rt.database.session() as s:
        return await projects.create(s, body, utcnow())


@router.get("", summary="Projects with % complete and schedule slippage")
async def list_projects(rt: RuntimeDep, caller: CallerDep, ward: str | None = None) -> list[ProjectOut]:
    async with rt.database.session() as s:
        return await projects.list_projects(s, local_date(utcnow()), ward)


@router.get("/{project_id}", summary="One project with its progress history and linked cases")
async def get_project(project_id: int, rt: RuntimeDep, caller: CallerDep) -> ProjectOut:
    async with rt.database.session() as s:
        return await projects.get(s, project_id, local_date(utcnow()))


@router.post("/{project_id}/progress", summary="Report cumulative progress as of a date")
async def report(project_id: int, body: ProjectProgressIn, rt: RuntimeDep, caller: CallerDep) -> ProjectOut:
    require_role(caller, "admin", "operator", "department")
    async with rt.database.session() as s:
        return await projects.report(s, project_id, body, caller, local_date(utcnow()))
