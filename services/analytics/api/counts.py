"""Per camera: counts over time (zone occupancy, line crossings)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from services.analytics.counts import service
from services.analytics.counts.schemas import Bucket, CountPointOut
from shared.deps import SessionDep
from shared.params import Instant
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["counts"], responses=PROBLEM_RESPONSES)


@router.get("/counts", summary="Time series of a camera's rules: zone occupancy and line crossings")
async def counts(
    session: SessionDep,
    camera: str = Query(min_length=1),
    bucket: Bucket = "minute",
    rule_id: uuid.UUID | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: int = Query(1440, ge=1, le=10_080),
) -> list[CountPointOut]:
    return await service.count_series(
        session=session, camera=camera, bucket=bucket, rule_id=rule_id, since=since, until=until, limit=limit
    )
