"""Completeness and timeliness of report forms; who has not reported."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from services.reports.api.deps import CallerDep, SessionDep
from services.reports.domain import completeness
from services.reports.domain.periods import CalendarDay, local_today
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["completeness"])


class ReportStatus(BaseModel):
    department: str
    period: str
    due: date
    submitted_at: datetime | None
    on_time: bool
    overdue: bool


class Completeness(BaseModel):
    form: str
    expected: int
    submitted: int
    on_time: int
    overdue: int
    completeness_pct: float | None
    timeliness_pct: float | None
    reports: list[ReportStatus]


class Overdue(BaseModel):
    form: str
    department: str
    period: str
    due: date
    days_overdue: int


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: str
    period: str


class SubmissionOut(BaseModel):
    form: str
    department: str
    period: str
    submitted_at: datetime
    due: date
    on_time: bool


@router.get("/completeness", summary="Expected vs submitted vs on-time reports of a form")
async def get_completeness(
    session: SessionDep,
    _: CallerDep,
    form: str,
    start: str,
    end: str,
    department: Annotated[list[str] | None, Query()] = None,
    as_of: CalendarDay | None = None,
) -> Completeness:
    result = await completeness.completeness(session, form, start, end, department, as_of or local_today())
    return Completeness.model_validate(result)


@router.get("/completeness/overdue", summary="Reports past their deadline and not submitted")
async def get_overdue(
    session: SessionDep,
    _: CallerDep,
    form: str | None = None,
    since: Annotated[CalendarDay | None, Query(description="oldest period start (default: a year ago)")] = None,
    as_of: CalendarDay | None = None,
) -> list[Overdue]:
    today = as_of or local_today()
    rows = await completeness.overdue(session, form, since or today - timedelta(days=365), today)
    return [Overdue.model_validate(r) for r in rows]


@router.post("/forms/{code}/submissions", status_code=201, summary="Mark a report as submitted (complete)")
async def submit(code: str, body: SubmissionIn, session: SessionDep, caller: CallerDep) -> SubmissionOut:
    result = await completeness.register_submission(
        session, caller, code, body.department, body.period, datetime.now(UTC)
    )
    return SubmissionOut.model_validate(result)
