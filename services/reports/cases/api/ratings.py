"""The one-time satisfaction link (public through the gateway) and the satisfaction indices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.reports.cases import satisfaction
from services.reports.cases.api.deps import CallerDep, RuntimeDep, utcnow
from services.reports.cases.cases import changed, get_case
from services.reports.cases.events import stage
from services.reports.cases.metrics import RATINGS
from services.reports.cases.schemas import RatingIn, RatingView, SatisfactionRow, SatisfactionSummary
from shared.params import Instant
from shared.problems import PROBLEM_RESPONSES

public = APIRouter(prefix="/ratings", tags=["satisfaction"], responses=PROBLEM_RESPONSES)
router = APIRouter(prefix="/satisfaction", tags=["satisfaction"], responses=PROBLEM_RESPONSES)


@public.get("/{token}", summary="What the rating link is about (no personal data)")
async def rating_view(token: str, rt: RuntimeDep) -> RatingView:
    async with rt.database.session() as s:
        return await satisfaction.view(s, token, utcnow())


@public.post("/{token}", status_code=201, summary="Rate how the case was handled (once)")
async def rate(token: str, body: RatingIn, rt: RuntimeDep) -> RatingView:
    now = utcnow()
    async with rt.database.session() as s:
        case_id = await satisfaction.rate(s, token, body, now)
        case = await get_case(s, case_id)
        view = await satisfaction.view(s, token, now)
        stage(s, [changed(case, "rated", None, now)])
    RATINGS.labels(str(body.rating)).inc()
    return view


@router.get("", summary="Satisfaction, on-time share and median resolution time by department, category or month")
async def satisfaction_index(
    rt: RuntimeDep,
    caller: CallerDep,
    group_by: Annotated[satisfaction.GroupBy, Query()] = "department",
    since: Instant | None = None,
    until: Instant | None = None,
) -> list[SatisfactionRow]:
    async with rt.database.session() as s:
        return await satisfaction.index(s, group_by, since, until)


@router.get("/summary", summary="City satisfaction index (city overview)")
async def satisfaction_summary(rt: RuntimeDep, caller: CallerDep) -> SatisfactionSummary:
    async with rt.database.session() as s:
        return await satisfaction.overall(s)
