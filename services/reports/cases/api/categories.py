"""Case categories: read by every signed-in user, changed by administrators."""

from __future__ import annotations

from fastapi import APIRouter

from services.reports.cases import categories
from services.reports.cases.access import require_role
from services.reports.cases.api.deps import CallerDep, RuntimeDep
from services.reports.cases.schemas import CategoryIn, CategoryOut, CategoryPatch
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/categories", tags=["cases"], responses=PROBLEM_RESPONSES)


@router.get("", summary="Case categories")
async def list_categories(rt: RuntimeDep, caller: CallerDep, include_inactive: bool = False) -> list[CategoryOut]:
    async with rt.database.session() as s:
        return [categories.to_out(c) for c in await categories.list_categories(s, include_inactive=include_inactive)]


@router.get("/{code}", summary="One case category")
async def get_category(code: str, rt: RuntimeDep, caller: CallerDep) -> CategoryOut:
    async with rt.database.session() as s:
        return categories.to_out(await categories.get_category(s, code))


@router.post("", status_code=201, summary="Add a case category (administrators)")
async def create_category(body: CategoryIn, rt: RuntimeDep, caller: CallerDep) -> CategoryOut:
    require_role(caller, "admin")
    async with rt.database.session() as s:
        return categories.to_out(await categories.create_category(s, body))


@router.patch("/{code}", summary="Change a case category (administrators)")
async def update_category(code: str, patch: CategoryPatch, rt: RuntimeDep, caller: CallerDep) -> CategoryOut:
    require_role(caller, "admin")
    async with rt.database.session() as s:
        return categories.to_out(await categories.update_category(s, code, patch))
