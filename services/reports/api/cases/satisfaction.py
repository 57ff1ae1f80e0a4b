"""The one-time satisfaction link (public through the gateway) and the satisfaction indices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.reports.api.deps import CallerDep, utcnow
from services.reports.cases.satisfaction import service
from services.reports.cases.satisfaction.schemas import (
    GroupBy,
    RatingIn,
    RatingViewOut,
    SatisfactionRowOut,
    SatisfactionSummaryOut,
)
from shared.deps import SessionDep
from shared.params import Instant
from shared.problems import PROBLEM_RESPONSES

public = APIRouter(prefix="/ratings", tags=["satisfaction"], responses=PROBLEM_RESPONSES)
router = APIRouter(prefix="/satisfaction", tags=["satisfaction"], responses=PROBLEM_RESPONSES)


@public.get("/{token}", summary="What the rating link is about (no personal data)")
async def rating_view(token: str, session: SessionDep) -> RatingViewOut:
    return await service.view(session=session, token=token, now=utcnow())


@public.post("/{token}", status_code=201, summary="Rate how the case was handled (once)")
async def rate(token: str, body: RatingIn, session: SessionDep) -> RatingViewOut:
    return await service.rate(session=session, token=token, rating_in=body, now=utcnow())


@router.get("", summary="Satisfaction, on-time share and median resolution time by department, category or month")
async def satisfaction_index(
    session: SessionDep,
    caller: CallerDep,
    group_by: Annotated[GroupBy, Query()] = "department",
    since: Instant | None = None,
    until: Instant | None = None,
) -> list[SatisfactionRowOut]:
    return await service.index(session=session, group_by=group_by, since=since, until=until, caller=caller)


@router.get("/summary", summary="City satisfaction index (city overview)")
async def satisfaction_summary(session: SessionDep, caller: CallerDep) -> SatisfactionSummaryOut:
    return await service.overall(session=session, caller=caller)
