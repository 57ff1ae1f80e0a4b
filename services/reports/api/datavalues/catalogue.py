"""Catalogue routes: departments, indicators, report forms (writes are for administrators)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.reports.api.deps import AdminDep, CallerDep
from services.reports.datavalues.catalogue import service as catalogue
from services.reports.datavalues.catalogue.schemas import (
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    FormIn,
    FormOut,
    FormPatch,
    IndicatorIn,
    IndicatorOut,
    IndicatorPatch,
)
from services.reports.datavalues.periods import CalendarDay
from shared.deps import SessionDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(responses=PROBLEM_RESPONSES)


@router.post("/departments", status_code=201, tags=["catalogue"])
async def create_department(body: DepartmentIn, session: SessionDep, _: AdminDep) -> DepartmentOut:
    return await catalogue.create_department(session=session, department_in=body)


@router.get("/departments", tags=["catalogue"])
async def list_departments(
    session: SessionDep, _: CallerDep, at: CalendarDay | None = None, root: str | None = None
) -> list[DepartmentOut]:
    """All departments; ``at`` keeps those valid on that day, ``root`` a subtree."""
    return await catalogue.list_departments(session=session, at=at, root=root)


@router.get("/departments/{code}", tags=["catalogue"])
async def get_department(code: str, session: SessionDep, _: CallerDep) -> DepartmentOut:
    return await catalogue.get_department(session=session, code=code)


@router.patch("/departments/{code}", tags=["catalogue"])
async def update_department(code: str, body: DepartmentPatch, session: SessionDep, _: AdminDep) -> DepartmentOut:
    return await catalogue.update_department(session=session, code=code, department_patch=body)


@router.post("/indicators", status_code=201, tags=["catalogue"])
async def create_indicator(body: IndicatorIn, session: SessionDep, _: AdminDep) -> IndicatorOut:
    return await catalogue.create_indicator(session=session, indicator_in=body)


@router.get("/indicators", tags=["catalogue"])
async def list_indicators(session: SessionDep, _: CallerDep, domain: str | None = None) -> list[IndicatorOut]:
    return await catalogue.list_indicators(session=session, domain=domain)


@router.get("/indicators/{code}", tags=["catalogue"])
async def get_indicator(code: str, session: SessionDep, _: CallerDep) -> IndicatorOut:
    return await catalogue.get_indicator(session=session, code=code)


@router.patch("/indicators/{code}", tags=["catalogue"])
async def update_indicator(code: str, body: IndicatorPatch, session: SessionDep, _: AdminDep) -> IndicatorOut:
    return await catalogue.update_indicator(session=session, code=code, indicator_patch=body)


@router.delete("/indicators/{code}", status_code=204, tags=["catalogue"])
async def delete_indicator(code: str, session: SessionDep, _: AdminDep) -> Response:
    await catalogue.delete_indicator(session=session, code=code)
    return Response(status_code=204)


@router.post("/forms", status_code=201, tags=["catalogue"])
async def create_form(body: FormIn, session: SessionDep, _: AdminDep) -> FormOut:
    return await catalogue.create_form(session=session, form_in=body)


@router.get("/forms", tags=["catalogue"])
async def list_forms(session: SessionDep, _: CallerDep) -> list[FormOut]:
    return await catalogue.list_forms(session=session)


@router.get("/forms/{code}", tags=["catalogue"])
async def get_form(code: str, session: SessionDep, _: CallerDep) -> FormOut:
    return await catalogue.get_form(session=session, code=code)


@router.patch("/forms/{code}", tags=["catalogue"])
async def update_form(code: str, body: FormPatch, session: SessionDep, _: AdminDep) -> FormOut:
    return await catalogue.update_form(session=session, code=code, form_patch=body)


@router.delete("/forms/{code}", status_code=204, tags=["catalogue"])
async def delete_form(code: str, session: SessionDep, _: AdminDep) -> Response:
    await catalogue.delete_form(session=session, code=code)
    return Response(status_code=204)
