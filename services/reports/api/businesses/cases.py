"""The business a city case is about: complaints name a business and what it charged."""

from __future__ import annotations

from fastapi import APIRouter

from services.reports.api.deps import CallerDep
from services.reports.businesses.cases import service as business_cases
from services.reports.businesses.schemas import CaseBusinessOut, ComplaintIn
from shared.deps import SessionDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/cases", tags=["businesses"], responses=PROBLEM_RESPONSES)


@router.put("/{case_id}/business", summary="Name the business a complaint is about and what it charged")
async def link_complaint(session: SessionDep, caller: CallerDep, case_id: int, body: ComplaintIn) -> CaseBusinessOut:
    return await business_cases.link_complaint(session=session, case_id=case_id, complaint_in=body, caller=caller)


@router.get("/{case_id}/business", summary="The business of a case; listed vs charged prices for a complaint")
async def get_case_business(session: SessionDep, caller: CallerDep, case_id: int) -> CaseBusinessOut:
    return await business_cases.case_business(session=session, case_id=case_id)
