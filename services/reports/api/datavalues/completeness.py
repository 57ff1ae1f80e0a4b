"""Completeness and timeliness of report forms; who has not reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from services.reports.api.deps import CallerDep
from services.reports.datavalues.completeness import service
from services.reports.datavalues.completeness.schemas import (
    CompletenessOut,
    DueOut,
    OverdueOut,
    SubmissionIn,
    SubmissionOut,
)
from services.reports.datavalues.periods import CalendarDay, local_today
from shared.deps import SessionDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["completeness"])


@router.get("/completeness", summary="Expected vs submitted vs on-time reports of a form")
async def get_completeness(
    session: SessionDep,
    caller: CallerDep,
    form: str,
    start: str,
    end: str,
    department: Annotated[list[str] | None, Query()] = None,
    as_of: CalendarDay | None = None,
) -> CompletenessOut:
    result = await service.completeness(
        session=session,
        form_code=form,
        start=start,
        end=end,
        departments=department,
        caller=caller,
        today=as_of or local_today(),
    )
    return CompletenessOut.model_validate(result)


@router.get("/completeness/overdue", summary="Reports past their deadline and not submitted")
async def get_overdue(
    session: SessionDep,
    caller: CallerDep,
    form: str | None = None,
    since: Annotated[CalendarDay | None, Query(description="oldest period start (default: a year ago)")] = None,
    as_of: CalendarDay | None = None,
) -> list[OverdueOut]:
    today = as_of or local_today()
    rows = await service.overdue(
        session=session,
        form_code=form,
        since=since or today - timedelta(days=365),
        today=today,
        caller=caller,
    )
    return [OverdueOut.model_validate(r) for r in rows]


@router.get("/completeness/due", summary="My reports to file: not yet submitted, overdue or not")
async def get_due(
    session: SessionDep,
    caller: CallerDep,
    since: Annotated[CalendarDay | None, Query(description="oldest period start (default: 90 days ago)")] = None,
    as_of: CalendarDay | None = None,
) -> list[DueOut]:
    today = as_of or local_today()
    rows = await service.due(session=session, since=since or today - timedelta(days=90), today=today, caller=caller)
    return [DueOut.model_validate(r) for r in rows]


@router.post("/forms/{code}/submissions", status_code=201, summary="Mark a report as submitted (complete)")
async def submit(code: str, body: SubmissionIn, session: SessionDep, caller: CallerDep) -> SubmissionOut:
    result = await service.register_submission(
        session=session,
        caller=caller,
        form_code=code,
        department=body.department,
        period=body.period,
        at=datetime.now(UTC),
    )
    return SubmissionOut.model_validate(result)
