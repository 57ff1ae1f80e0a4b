"""Per camera: counts over time (zone occupancy, line crossings), live statistics, motion masks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Query

from services.analytics.api.deps import ConsumerDep, SessionDep
from services.analytics.domain.geometry import polygon_problem
from services.analytics.schemas import CameraStats, CountPoint, MotionMasks
from services.analytics.storage import repo
from services.analytics.storage.models import CameraMask
from shared.errors import InvalidInputError, NotFoundError
from shared.params import Instant
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["counts"], responses=PROBLEM_RESPONSES)


@router.get("/counts", summary="Time series of a camera's rules: zone occupancy and line crossings")
async def counts(
    session: SessionDep,
    camera: str = Query(min_length=1),
    bucket: Literal["minute", "hour", "day"] = "minute",
    rule_id: uuid.UUID | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: int = Query(1440, ge=1, le=10_080),
) -> list[CountPoint]:
    rows = await repo.count_series(session, camera, bucket, rule_id=rule_id, since=since, until=until, limit=limit)
    return [CountPoint(bucket=bucket, **row) for row in rows]


@router.get("/cameras", summary="Cameras this replica owns")
async def owned_cameras(consumer: ConsumerDep) -> list[str]:
    return sorted(consumer.workers)


@router.get("/cameras/{camera}/stats", summary="Live pipeline statistics of a camera owned by this replica")
async def camera_stats(camera: str, consumer: ConsumerDep) -> CameraStats:
    stats = consumer.stats(camera)
    if stats is None:
        raise NotFoundError(f"camera {camera} is not processed by this replica")
    return stats


@router.get("/cameras/{camera}/motion-masks", summary="Motion masks of a camera")
async def get_masks(camera: str, session: SessionDep) -> MotionMasks:
    row = await session.get(CameraMask, camera)
    return MotionMasks(masks=row.polygons if row else [])


@router.put("/cameras/{camera}/motion-masks", summary="Replace the motion masks of a camera")
async def put_masks(camera: str, body: MotionMasks, session: SessionDep, consumer: ConsumerDep) -> MotionMasks:
    for i, polygon in enumerate(body.masks):
        problem = polygon_problem(polygon)
        if problem:
            raise InvalidInputError(problem, field=f"masks.{i}")
    row = await session.get(CameraMask, camera)
    if row is None:
        session.add(CameraMask(camera=camera, polygons=body.masks, updated_at=datetime.now(UTC)))
    else:
        row.polygons, row.updated_at = body.masks, datetime.now(UTC)
    await session.commit()
    await consumer.refresh_rules()
    return body
