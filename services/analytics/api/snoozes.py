"""Snoozes: hold back a camera's or a rule's alerts until an expiry, with a reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from services.analytics.api.deps import ConsumerDep
from services.analytics.snoozes import service
from services.analytics.snoozes.schemas import SnoozeIn, SnoozeOut
from shared.deps import SessionDep, VerifiedCallerDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/snoozes", tags=["snoozes"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, summary="Snooze a camera (all its rules) or one rule until an expiry")
async def create_snooze(
    body: SnoozeIn, session: SessionDep, caller: VerifiedCallerDep, consumer: ConsumerDep
) -> SnoozeOut:
    return await service.create_snooze(
        session=session, snooze_in=body, caller=caller, now=datetime.now(UTC), on_change=consumer.refresh_rules
    )


@router.get("", summary="Snoozes, newest first (active=false: with those over)")
async def list_snoozes(
    session: SessionDep,
    camera: str | None = None,
    rule_id: uuid.UUID | None = None,
    active: bool = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SnoozeOut]:
    return await service.list_snoozes(
        session=session, camera=camera, rule_id=rule_id, active=active, now=datetime.now(UTC), limit=limit
    )


@router.delete("/{snooze_id}", summary="End a snooze early (alerts may start again at once)")
async def end_snooze(
    snooze_id: uuid.UUID, session: SessionDep, caller: VerifiedCallerDep, consumer: ConsumerDep
) -> SnoozeOut:
    return await service.end_snooze(
        session=session, snooze_id=snooze_id, caller=caller, now=datetime.now(UTC), on_change=consumer.refresh_rules
    )
