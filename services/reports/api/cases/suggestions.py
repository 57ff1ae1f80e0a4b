"""Alerts whose rule suggests a case (``case_policy = suggest``), and opening one with one call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.reports.api.deps import CallerDep, utcnow
from services.reports.cases.alerts import service
from services.reports.cases.alerts.schemas import SuggestionOut
from services.reports.cases.schemas import CaseDetailOut
from shared.deps import SessionDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/cases", tags=["cases"], responses=PROBLEM_RESPONSES)

AlertId = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/suggestions", summary="Alerts suggested for a case, newest first (pending=false: with those opened)")
async def list_suggestions(
    session: SessionDep,
    caller: CallerDep,
    pending: bool = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SuggestionOut]:
    return await service.list_suggestions(session=session, caller=caller, pending=pending, limit=limit)


@router.post(
    "/from-alert/{alert_id}",
    status_code=201,
    summary="Open the case of a suggested alert (201; a second call returns the same case with 200)",
)
async def open_from_alert(
    alert_id: AlertId, session: SessionDep, caller: CallerDep, response: Response
) -> CaseDetailOut:
    case, created = await service.open_case_from_alert(session=session, alert_id=alert_id, caller=caller, now=utcnow())
    if not created:
        response.status_code = 200
    return case
