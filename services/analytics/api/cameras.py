"""Per camera: live statistics of the cameras this replica owns, motion masks."""

from __future__ import annotations

from fastapi import APIRouter

from services.analytics.api.deps import ConsumerDep
from services.analytics.cameras import service
from services.analytics.cameras.schemas import CameraStatsOut, MotionMasksIn, MotionMasksOut
from shared.deps import SessionDep
from shared.problems import PROBLEM_RESPONSES

# Tagged "counts" like the counts route: the camera routes were listed under it before the split.
router = APIRouter(tags=["counts"], responses=PROBLEM_RESPONSES)


@router.get("/cameras", summary="Cameras this replica owns")
async def owned_cameras(consumer: ConsumerDep) -> list[str]:
    return service.owned_cameras(live=consumer)


@router.get("/cameras/{camera}/stats", summary="Live pipeline statistics of a camera owned by this replica")
async def camera_stats(camera: str, consumer: ConsumerDep) -> CameraStatsOut:
    return service.camera_stats(live=consumer, camera=camera)


@router.get("/cameras/{camera}/motion-masks", summary="Motion masks of a camera")
async def get_masks(camera: str, session: SessionDep) -> MotionMasksOut:
    return await service.get_masks(session=session, camera=camera)


@router.put("/cameras/{camera}/motion-masks", summary="Replace the motion masks of a camera")
async def put_masks(camera: str, body: MotionMasksIn, session: SessionDep, consumer: ConsumerDep) -> MotionMasksOut:
    return await service.put_masks(session=session, camera=camera, masks_in=body, on_change=consumer.refresh_rules)
