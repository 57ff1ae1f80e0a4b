"""SQL of the outage incidents; callers own the session (unit of work)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import case, func, null, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.outages.models import OutageCamera, OutageIncident, OutageMember
from shared.db import get_existing
from shared.pagination import Ordering

INCIDENT_ORDER = Ordering.of(OutageIncident.started_at, OutageIncident.peak_down, key=[OutageIncident.id])
# One transaction-scoped advisory lock for grouping: it looks at every open incident (the time-window
# rule crosses groups), so a lock per group could not keep two replicas from founding two incidents
# for one outage. Only the stepper takes it; the status consumer never waits for it.
_LOCK_KEY = 0x6F75746167657321  # "outages!"


async def try_lock(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(_LOCK_KEY))))


async def record_status(
    session: AsyncSession,
    *,
    camera: str,
    ward: str | None,
    tags: list[str],
    status: str,
    reason: str | None,
    at: datetime,
    back: Collection[str],
) -> None:
    """Store a camera's status unless a later one is stored: offline keeps the time it went down, a
    status in ``back`` clears it, any other (connecting) leaves it."""
    table = OutageCamera.__table__.c
    stmt = insert(OutageCamera).values(
        camera=camera,
        ward=ward,
        tags=tags,
        status=status,
        reason=reason,
        at=at,
        down_since=at if status == "offline" else None,
    )
    new = stmt.excluded
    down_since = case(
        (new.status == "offline", func.coalesce(table.down_since, new.at)),
        (new.status.in_(list(back)), null()),
        else_=table.down_since,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.camera],
            set_={"ward": new.ward, "tags": new.tags, "status": new.status, "reason": new.reason, "at": new.at,
                  "down_since": down_since},
            where=new.at >= table.at,
        )
    )  # fmt: skip


def add(session: AsyncSession, row: OutageMember) -> None:
    session.add(row)


async def remove(session: AsyncSession, row: OutageMember) -> None:
    await session.delete(row)


async def add_incident(session: AsyncSession, row: OutageIncident) -> None:
    # Written at once: the cameras and members that name it are written after (no ORM relationship
    # tells the unit of work that order).
    session.add(row)
    await session.flush()


async def watched_cameras(session: AsyncSession) -> list[OutageCamera]:
    """Cameras offline or still in an incident."""
    stmt = (
        select(OutageCamera)
        .where(or_(OutageCamera.down_since.is_not(None), OutageCamera.incident_id.is_not(None)))
        .order_by(OutageCamera.down_since, OutageCamera.camera)
    )
    return list((await session.scalars(stmt)).all())


async def placements(session: AsyncSession) -> list[tuple[str, str | None, list[str]]]:
    rows = await session.execute(select(OutageCamera.camera, OutageCamera.ward, OutageCamera.tags))
    return [(c, w, list(t or ())) for c, w, t in rows]


async def incident(session: AsyncSession, incident_id: uuid.UUID) -> OutageIncident:
    return await get_existing(session, OutageIncident, incident_id, missing=f"incident {incident_id} not found")


async def open_incidents(session: AsyncSession) -> list[OutageIncident]:
    stmt = select(OutageIncident).where(OutageIncident.status == "open").order_by(OutageIncident.started_at)
    return list((await session.scalars(stmt)).all())


async def members(session: AsyncSession, incident_ids: Sequence[uuid.UUID]) -> list[OutageMember]:
    if not incident_ids:
        return []
    stmt = (
        select(OutageMember)
        .where(OutageMember.incident_id.in_(incident_ids))
        .order_by(OutageMember.down_at, OutageMember.camera)
    )
    return list((await session.scalars(stmt)).all())


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
