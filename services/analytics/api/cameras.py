"""Per camera: live statistics of the cameras this replica owns, motion masks, detector choice."""

from __future__ import annotations

from fastapi import APIRouter

from services.analytics.api.deps import ConsumerDep
from services.analytics.cameras import service
from services.analytics.cameras.schemas import CameraStatsOut, DetectorIn, DetectorOut, MotionMasksIn, MotionMasksOut
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


@router.get("/cameras/{camera}/detector", summary="The detector chosen for a camera (null: its category's or default)")
async def get_detector(camera: str, session: SessionDep) -> DetectorOut:
    return await service.get_detector(session=session, camera=camera)


@router.put("/cameras/{camera}/detector", summary="Choose a camera's detector (null: its category's or the default)")
async def put_detector(camera: str, body: DetectorIn, session: SessionDep, consumer: ConsumerDep) -> DetectorOut:
    return await service.put_detector(
        session=session,
        camera=camera,
        detector_in=body,
        available=consumer.detectors.available,
        on_change=consumer.refresh_rules,
    )
