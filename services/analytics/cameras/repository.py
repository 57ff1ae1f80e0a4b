"""SQL of the per-camera settings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.cameras.models import CameraMask


async def get_mask(session: AsyncSession, camera: str) -> CameraMask | None:
    return await session.get(CameraMask, camera)


def add_mask(session: AsyncSession, row: CameraMask) -> None:
    session.add(row)


async def all_masks(session: AsyncSession) -> dict[str, list[list[list[float]]]]:
    return {row.camera: row.polygons for row in (await session.scalars(select(CameraMask))).all()}
