"""Use cases of the cameras: motion masks and detector choice (stored), live statistics (of the cameras
this replica owns)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.cameras import repository
from services.analytics.cameras.models import CameraDetector, CameraMask
from services.analytics.cameras.schemas import CameraStatsOut, DetectorIn, DetectorOut, MotionMasksIn, MotionMasksOut
from services.analytics.geometry import polygon_problem
from shared.db import AfterCommit, after_commit
from shared.errors import InvalidInputError, NotFoundError


class LiveCameras(Protocol):
    """The cameras this replica processes (the frame consumer)."""

    def owned(self) -> list[str]: ...

    def stats(self, camera: str) -> CameraStatsOut | None: ...


def owned_cameras(*, live: LiveCameras) -> list[str]:
    return live.owned()


def camera_stats(*, live: LiveCameras, camera: str) -> CameraStatsOut:
    stats = live.stats(camera)
    if stats is None:
        raise NotFoundError(f"camera {camera} is not processed by this replica")
    return stats


async def get_masks(*, session: AsyncSession, camera: str) -> MotionMasksOut:
    row = await repository.get_mask(session, camera)
    return MotionMasksOut(masks=row.polygons if row else [])


async def put_masks(
    *, session: AsyncSession, camera: str, masks_in: MotionMasksIn, on_change: AfterCommit
) -> MotionMasksOut:
    """``on_change`` runs once the masks are committed (the consumer reloads them)."""
    for i, polygon in enumerate(masks_in.masks):
        problem = polygon_problem(polygon)
        if problem:
            raise InvalidInputError(problem, field=f"masks.{i}")
    row = await repository.get_mask(session, camera)
    if row is None:
        repository.add_mask(session, CameraMask(camera=camera, polygons=masks_in.masks, updated_at=datetime.now(UTC)))
    else:
        row.polygons, row.updated_at = masks_in.masks, datetime.now(UTC)
    after_commit(session, on_change)
    return MotionMasksOut(masks=masks_in.masks)


async def motion_masks_by_camera(*, session: AsyncSession) -> dict[str, list[list[list[float]]]]:
    return await repository.all_masks(session)


async def get_detector(*, session: AsyncSession, camera: str) -> DetectorOut:
    row = await repository.get_detector(session, camera)
    return DetectorOut.model_validate({"detector": row.detector if row else None})


async def put_detector(
    *, session: AsyncSession, camera: str, detector_in: DetectorIn, available: Collection[str], on_change: AfterCommit
) -> DetectorOut:
    """``available``: the detectors this deployment can run (``onnx`` needs a model file);
    ``on_change`` runs once the choice is committed (the consumer reloads it)."""
    if detector_in.detector is not None and detector_in.detector not in available:
        raise InvalidInputError(
            f"detector {detector_in.detector} is not available here (available: {', '.join(sorted(available))})",
            field="detector",
        )
    row = await repository.get_detector(session, camera)
    if detector_in.detector is None:
        if row is not None:
            await repository.delete_detector(session, row)
    elif row is None:
        repository.add_detector(
            session, CameraDetector(camera=camera, detector=detector_in.detector, updated_at=datetime.now(UTC))
        )
    else:
        row.detector, row.updated_at = detector_in.detector, datetime.now(UTC)
    after_commit(session, on_change)
    return DetectorOut(detector=detector_in.detector)


async def detectors_by_camera(*, session: AsyncSession) -> dict[str, str]:
    """The cameras with a detector of their own."""
    return await repository.all_detectors(session)
