"""Data-subject requests and erasures (administrators; every call is audited by the gateway)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.reports.api.deps import CallerDep, utcnow
from services.reports.privacy import service
from services.reports.privacy.schemas import ErasureIn, ErasureOut, SubjectRecordOut
from services.reports.settings import get_settings
from shared.deps import SessionDep
from shared.keys import KeySet
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/privacy", tags=["privacy"], responses=PROBLEM_RESPONSES)


def _keys() -> KeySet:
    """The subject HMAC is keyed by the service identity keys every reports replica already holds."""
    return get_settings().service_key_set()


KeysDep = Annotated[KeySet, Depends(_keys)]
Phone = Annotated[str | None, Query(max_length=40, description="a phone number, in any usual notation")]
Email = Annotated[str | None, Query(max_length=200, description="an e-mail address")]


@router.get("/subjects", summary="Every record holding a phone number or an e-mail address (exactly one)")
async def subject_records(
    session: SessionDep, caller: CallerDep, phone: Phone = None, email: Email = None
) -> list[SubjectRecordOut]:
    return await service.subject_records(session=session, phone=phone, email=email, caller=caller)


@router.post("/erasures", status_code=201, summary="Anonymise or erase a subject everywhere, with a reason")
async def erase(body: ErasureIn, session: SessionDep, caller: CallerDep, keys: KeysDep) -> ErasureOut:
    return await service.erase(session=session, erasure_in=body, caller=caller, keys=keys, now=utcnow())


@router.get("/erasures", summary="The erasure log, newest first (optionally of one subject)")
async def erasures(
    session: SessionDep, caller: CallerDep, keys: KeysDep, phone: Phone = None, email: Email = None
) -> list[ErasureOut]:
    return await service.erasures(session=session, phone=phone, email=email, caller=caller, keys=keys)
