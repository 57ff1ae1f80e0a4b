"""SQL of the outage incidents; callers own the session (unit of work)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.outages.models import OutageCamera, OutageIncident, OutageMember
from shared.db import get_existing
from shared.pagination import Ordering

INCIDENT_ORDER = Ordering.of(OutageIncident.started_at, OutageIncident.peak_down, key=[OutageIncident.id])
# One transaction-scoped advisory lock for all outage state: grouping looks at every open incident
# (the time-window rule crosses groups), so a lock per group could not keep two replicas from founding
# two incidents for one outage. Each holder is a few milliseconds of SQL.
_LOCK_KEY = 0x6F75746167657321  # "outages!"


async def lock(session: AsyncSession) -> None:
    await session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))


async def try_lock(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(_LOCK_KEY))))


async def camera(session: AsyncSession, camera_id: str) -> OutageCamera | None:
    return await session.get(OutageCamera, camera_id)


def add(session: AsyncSession, row: OutageCamera | OutageMember) -> None:
    session.add(row)


async def add_incident(session: AsyncSession, row: OutageIncident) -> None:
    # Written at once: the cameras and members that name it are written after (no ORM relationship
    # tells the unit of work that order).
    session.add(row)
    await session.flush()


async def down_cameras(session: AsyncSession) -> list[OutageCamera]:
    stmt = select(OutageCamera).where(OutageCamera.down_since.is_not(None)).order_by(OutageCamera.down_since)
    return list((await session.scalars(stmt)).all())


async def placements(session: AsyncSession) -> list[tuple[str, str | None, list[str]]]:
    rows = await session.execute(select(OutageCamera.camera, OutageCamera.ward, OutageCamera.tags))
    return [(c, w, list(t or ())) for c, w, t in rows]


async def incident(session: AsyncSession, incident_id: uuid.UUID) -> OutageIncident:
    return await get_existing(session, OutageIncident, incident_id, missing=f"incident {incident_id} not found")


async def open_incidents(session: AsyncSession) -> list[OutageIncident]:
    stmt = select(OutageIncident).where(OutageIncident.status == "open").order_by(OutageIncident.started_at)
    return list((await session.scalars(stmt)).all())


async def member(session: AsyncSession, incident_id: uuid.UUID, camera_id: str) -> OutageMember | None:
    return await session.get(OutageMember, (incident_id, camera_id))


async def members(session: AsyncSession, incident_ids: Sequence[uuid.UUID]) -> list[OutageMember]:
    if not incident_ids:
        return []
    stmt = (
        select(OutageMember)
        .where(OutageMember.incident_id.in_(incident_ids))
        .order_by(OutageMember.down_at, OutageMember.camera)
    )
    return list((await session.scalars(stmt)).all())


async def remove_member(session: AsyncSession, incident_id: uuid.UUID, camera_id: str) -> None:
    await session.execute(
        delete(OutageMember).where(OutageMember.incident_id == incident_id, OutageMember.camera == camera_id)
    )


async def page(
    session: AsyncSession, *, status: str | None, since: datetime | None, sort: str, cursor: str | None, limit: int
) -> tuple[list[OutageIncident], str | None]:
    stmt = select(OutageIncident)
    if status is not None:
        stmt = stmt.where(OutageIncident.status == status)
    if since is not None:
        stmt = stmt.where(OutageIncident.started_at >= since)
    stmt = INCIDENT_ORDER.apply(stmt, sort=sort, cursor=cursor, limit=limit)
    return INCIDENT_ORDER.page((await session.scalars(stmt)).all(), sort=sort, limit=limit)
