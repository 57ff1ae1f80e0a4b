"""Aggregation routes: roll-ups, time series for charts, latest value against target."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.reports.api.deps import CallerDep
from services.reports.datavalues.aggregation import service
from services.reports.datavalues.aggregation.schemas import CellOut, LatestOut, SeriesOut
from services.reports.datavalues.periods import local_today
from shared.deps import SessionDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/analytics", responses=PROBLEM_RESPONSES, tags=["analytics"])

Indicators = Annotated[list[str], Query(min_length=1, description="indicator code(s)")]
Departments = Annotated[list[str], Query(description="department code(s); none = all")]


def roll_up(
    indicator: Indicators,
    period_type: str,
    start: str,
    end: str,
    department: Departments = [],  # noqa: B006 — FastAPI copies defaults per request
    include_subtree: bool = False,
    by_department: bool = False,
) -> service.Query:
    """The query parameters the aggregate and the time series share."""
    return service.build_query(
        indicators=indicator,
        departments=department,
        include_subtree=include_subtree,
        period_type=period_type,
        start=start,
        end=end,
        by_department=by_department,
    )


RollUp = Annotated[service.Query, Depends(roll_up)]


@router.get("/aggregate", summary="Values rolled up to a period type over departments (and their subtrees)")
async def aggregate(session: SessionDep, caller: CallerDep, q: RollUp) -> list[CellOut]:
    return [CellOut(**c.__dict__) for c in await service.aggregate(session=session, q=q, caller=caller)]


@router.get("/timeseries", summary="One point per period (null where no data) for charts")
async def timeseries(session: SessionDep, caller: CallerDep, q: RollUp) -> list[SeriesOut]:
    cells = await service.aggregate(session=session, q=q, caller=caller)
    return [SeriesOut.model_validate(s) for s in service.series(q, cells)]


@router.get("/latest", summary="Latest period's value vs the previous period and the year's target")
async def latest(
    session: SessionDep,
    caller: CallerDep,
    indicator: Indicators,
    department: Departments = [],  # noqa: B006
    include_subtree: bool = False,
) -> list[LatestOut]:
    rows = await service.latest_vs_target(
        session=session,
        indicators=indicator,
        departments=department,
        include_subtree=include_subtree,
        caller=caller,
        today=local_today(),
    )
    return [LatestOut.model_validate(r) for r in rows]
