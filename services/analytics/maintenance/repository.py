"""SQL of the maintenance windows; callers own the session (unit of work)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.maintenance.models import MaintenanceWindow
from shared.db import get_existing


async def get(session: AsyncSession, window_id: uuid.UUID) -> MaintenanceWindow:
    return await get_existing(
        session, MaintenanceWindow, window_id, missing=f"maintenance window {window_id} not found"
    )


async def listed(session: AsyncSession, *, ending_after: datetime | None, limit: int) -> list[MaintenanceWindow]:
    stmt = select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at.desc(), MaintenanceWindow.id).limit(limit)
    if ending_after is not None:
        stmt = stmt.where(MaintenanceWindow.ends_at > ending_after)
    return list((await session.scalars(stmt)).all())


async def add(session: AsyncSession, window: MaintenanceWindow) -> None:
    session.add(window)
    await session.flush()


async def delete(session: AsyncSession, window: MaintenanceWindow) -> None:
    await session.delete(window)
    await session.flush()
