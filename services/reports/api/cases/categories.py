"""Case categories: read by every signed-in user, changed by administrators."""

from __future__ import annotations

from fastapi import APIRouter

from services.reports.api.deps import CallerDep
from services.reports.cases.categories import service
from services.reports.cases.categories.schemas import CategoryIn, CategoryOut, CategoryPatch
from shared.deps import SessionDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/categories", tags=["cases"], responses=PROBLEM_RESPONSES)


@router.get("", summary="Case categories")
async def list_categories(session: SessionDep, caller: CallerDep, include_inactive: bool = False) -> list[CategoryOut]:
    return await service.list_out(session=session, include_inactive=include_inactive)


@router.get("/{code}", summary="One case category")
async def get_category(code: str, session: SessionDep, caller: CallerDep) -> CategoryOut:
    return await service.get_out(session=session, code=code)


@router.post("", status_code=201, summary="Add a case category (administrators)")
async def create_category(body: CategoryIn, session: SessionDep, caller: CallerDep) -> CategoryOut:
    return await service.create(session=session, category_in=body, caller=caller)


@router.patch("/{code}", summary="Change a case category (administrators)")
async def update_category(code: str, patch: CategoryPatch, session: SessionDep, caller: CallerDep) -> CategoryOut:
    return await service.update(session=session, code=code, category_patch=patch, caller=caller)
