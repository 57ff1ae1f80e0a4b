"""Aggregation routes: roll-ups, time series for charts, latest value against target."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.reports.api.deps import CallerDep, SessionDep
from services.reports.domain import analytics
from services.reports.domain.periods import local_today
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/analytics", responses=PROBLEM_RESPONSES, tags=["analytics"])

Indicators = Annotated[list[str], Query(min_length=1, description="indicator code(s)")]
Departments = Annotated[list[str], Query(description="department code(s); none = all")]


class CellOut(BaseModel):
    indicator: str
    department: str | None
    period: str
    value: float
    count: int


class Point(BaseModel):
    period: str
    value: float | None


class Series(BaseModel):
    indicator: str
    department: str | None
    points: list[Point]


class Latest(BaseModel):
    indicator: str
    period: str | None
    value: float | None
    previous_period: str | None = None
    previous_value: float | None = None
    change: float | None = None
    change_pct: float | None = None
    year_to_date: float | None = None
    target: float | None = None
    target_progress_pct: float | None = None


@router.get("/aggregate", summary="Values rolled up to a period type over departments (and their subtrees)")
async def aggregate(
    session: SessionDep,
    _: CallerDep,
    indicator: Indicators,
    period_type: str,
    start: str,
    end: str,
    department: Departments = [],  # noqa: B006 — FastAPI copies defaults per request
    include_subtree: bool = False,
    by_department: bool = False,
) -> list[CellOut]:
    q = analytics.build_query(indicator, department, include_subtree, period_type, start, end, by_department)
    return [CellOut(**c.__dict__) for c in await analytics.aggregate(session, q)]


@router.get("/timeseries", summary="One point per period (null where no data) for charts")
async def timeseries(
    session: SessionDep,
    _: CallerDep,
    indicator: Indicators,
    period_type: str,
    start: str,
    end: str,
    department: Departments = [],  # noqa: B006
    include_subtree: bool = False,
    by_department: bool = False,
) -> list[Series]:
    q = analytics.build_query(indicator, department, include_subtree, period_type, start, end, by_department)
    return [Series.model_validate(s) for s in analytics.series(q, await analytics.aggregate(session, q))]


@router.get("/latest", summary="Latest period's value vs the previous period and the year's target")
async def latest(
    session: SessionDep,
    _: CallerDep,
    indicator: Indicators,
    department: Departments = [],  # noqa: B006
    include_subtree: bool = False,
) -> list[Latest]:
    rows = await analytics.latest_vs_target(session, indicator, department, include_subtree, local_today())
    return [Latest.model_validate(r) for r in rows]
