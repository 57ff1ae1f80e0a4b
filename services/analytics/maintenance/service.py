"""Use cases of the maintenance windows: create, list, delete, and the windows in force for the checks."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.maintenance import repository
from services.analytics.maintenance.models import MaintenanceWindow
from services.analytics.maintenance.rules import Window
from services.analytics.maintenance.schemas import MAX_WINDOW_DAYS, MaintenanceWindowIn, MaintenanceWindowOut
from services.analytics.outages import repository as outages
from shared.db import AfterCommit, after_commit
from shared.errors import InvalidInputError
from shared.identity import Caller

log = logging.getLogger("cityops.analytics.maintenance")


def _out(row: MaintenanceWindow, now: datetime) -> MaintenanceWindowOut:
    out = MaintenanceWindowOut.model_validate(row)
    out.active = row.starts_at <= now < row.ends_at
    return out


async def create_window(
    *, session: AsyncSession, window_in: MaintenanceWindowIn, caller: Caller, changed: AfterCommit
) -> MaintenanceWindowOut:
    """``changed`` runs once the window is committed (this replica reloads its windows at once)."""
    if sum((bool(window_in.cameras), window_in.ward is not None, window_in.tag is not None)) != 1:
        raise InvalidInputError("give exactly one of cameras, ward or tag", field="cameras")
    now = datetime.now(UTC)
    starts_at = window_in.starts_at or now
    if window_in.ends_at <= starts_at:
        raise InvalidInputError("ends_at must be after starts_at", field="ends_at")
    if window_in.ends_at - starts_at > timedelta(days=MAX_WINDOW_DAYS):
        raise InvalidInputError(f"a window lasts at most {MAX_WINDOW_DAYS} days", field="ends_at")
    if window_in.ends_at <= now:
        raise InvalidInputError("ends_at is in the past", field="ends_at")
    row = MaintenanceWindow(
        id=uuid.uuid4(),
        cameras=sorted(set(window_in.cameras)),
        ward=window_in.ward,
        tag=window_in.tag,
        starts_at=starts_at,
        ends_at=window_in.ends_at,
        reason=window_in.reason,
        created_by=caller.name,
    )
    await repository.add(session, row)
    after_commit(session, changed)
    log.info(
        "maintenance.created",
        extra={"window": str(row.id), "cameras": row.cameras, "ward": row.ward, "tag": row.tag, "by": caller.name},
    )
    return _out(row, now)


async def list_windows(*, session: AsyncSession, current: bool, limit: int) -> list[MaintenanceWindowOut]:
    """Newest first; ``current``: only those not over yet (in force or to come)."""
    now = datetime.now(UTC)
    rows = await repository.listed(session, ending_after=now if current else None, limit=limit)
    return [_out(row, now) for row in rows]


async def get_window(*, session: AsyncSession, window_id: uuid.UUID) -> MaintenanceWindowOut:
    return _out(await repository.get(session, window_id), datetime.now(UTC))


async def delete_window(*, session: AsyncSession, window_id: uuid.UUID, caller: Caller, changed: AfterCommit) -> None:
    await repository.delete(session, await repository.get(session, window_id))
    after_commit(session, changed)
    log.info("maintenance.deleted", extra={"window": str(window_id), "by": caller.name})


async def windows_in_force(*, session: AsyncSession, at: datetime) -> list[Window]:
    """Windows not over at ``at`` (including those about to start), for the checks."""
    rows = await repository.listed(session, ending_after=at, limit=10_000)
    return [Window(frozenset(r.cameras), r.ward, r.tag, r.starts_at, r.ends_at) for r in rows]


async def in_force(
    *, session: AsyncSession, at: datetime
) -> tuple[list[Window], dict[str, tuple[str | None, tuple[str, ...]]]]:
    """The windows not over at ``at`` and each camera's ward and tags (as its last status named them)."""
    windows = await windows_in_force(session=session, at=at)
    places = {c: (w, tuple(t)) for c, w, t in await outages.placements(session)} if windows else {}
    return windows, places
