"""SQL of the per-camera settings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.cameras.models import CameraDetector, CameraMask


async def get_mask(session: AsyncSession, camera: str) -> CameraMask | None:
    return await session.get(CameraMask, camera)


def add_mask(session: AsyncSession, row: CameraMask) -> None:
    session.add(row)


async def all_masks(session: AsyncSession) -> dict[str, list[list[list[float]]]]:
    return {row.camera: row.polygons for row in (await session.scalars(select(CameraMask))).all()}


async def get_detector(session: AsyncSession, camera: str) -> CameraDetector | None:
    return await session.get(CameraDetector, camera)


def add_detector(session: AsyncSession, row: CameraDetector) -> None:
    session.add(row)


async def delete_detector(session: AsyncSession, row: CameraDetector) -> None:
    await session.delete(row)


async def all_detectors(session: AsyncSession) -> dict[str, str]:
    return {row.camera: row.detector for row in (await session.scalars(select(CameraDetector))).all()}
