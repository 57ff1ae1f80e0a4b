"""SQL of the snoozes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.snoozes.models import Snooze
from shared.db import get_existing


def add(session: AsyncSession, row: Snooze) -> None:
    session.add(row)


async def get(session: AsyncSession, snooze_id: uuid.UUID) -> Snooze:
    return await get_existing(session, Snooze, snooze_id, missing=f"snooze {snooze_id} not found")


async def listed(
    session: AsyncSession, *, camera: str | None, rule_id: uuid.UUID | None, ending_after: datetime | None, limit: int
) -> list[Snooze]:
    """Newest first; ``ending_after``: only those still applying after that moment."""
    stmt = select(Snooze)
    if camera is not None:
        stmt = stmt.where(Snooze.camera == camera)
    if rule_id is not None:
        stmt = stmt.where(Snooze.rule_id == rule_id)
    if ending_after is not None:
        # Ended early only ever before its expiry (the service refuses to end a snooze that is over).
        stmt = stmt.where(func.coalesce(Snooze.ended_at, Snooze.until) > ending_after)
    stmt = stmt.order_by(Snooze.starts_at.desc(), Snooze.id).limit(limit)
    return list((await session.scalars(stmt)).all())
