"""Category combo routes: disaggregations of indicators (writes are for administrators)."""

from __future__ import annotations

from fastapi import APIRouter

from services.reports.api.deps import AdminDep, CallerDep
from services.reports.datavalues.combos import service as combos
from services.reports.datavalues.combos.schemas import CategoryComboIn, CategoryComboOut
from shared.deps import SessionDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(responses=PROBLEM_RESPONSES)


@router.post("/category-combos", status_code=201, tags=["catalogue"])
async def create_category_combo(body: CategoryComboIn, session: SessionDep, _: AdminDep) -> CategoryComboOut:
    """A disaggregation (e.g. by sex) with its option combos, for indicators that hold no values yet."""
    return await combos.create_combo(session=session, combo_in=body)


@router.get("/category-combos", tags=["catalogue"])
async def list_category_combos(session: SessionDep, _: CallerDep) -> list[CategoryComboOut]:
    return await combos.list_combos(session=session)
