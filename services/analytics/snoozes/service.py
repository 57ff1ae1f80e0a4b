"""Use cases of the snoozes, and the snoozes as the pipeline sees them.

A snooze holds back new alerts of a camera (every rule) or of one rule from its creation until it
expires or is ended early. An alert already open when it starts goes on and ends as usual (it is the
same incident, already seen); starts held back are counted (``cityops_analytics_alerts_snoozed_total``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.pipeline.snooze import Snooze as SnoozeSpec
from services.analytics.rules import repository as rules
from services.analytics.snoozes import repository
from services.analytics.snoozes.models import Snooze
from services.analytics.snoozes.schemas import SnoozeIn, SnoozeOut
from shared.db import AfterCommit, after_commit
from shared.errors import ConflictError, InvalidInputError
from shared.identity import Caller

MAX_AHEAD = timedelta(days=30)
# The pipeline judges frames by capture time, which trails the wall clock a little: snoozes that ended
# this recently are still handed to it so that a late frame is judged against them.
RECENT = timedelta(minutes=1)


def _ends_at(row: Snooze) -> datetime:
    return row.ended_at or row.until


def _out(row: Snooze, now: datetime) -> SnoozeOut:
    return SnoozeOut.model_validate(
        {**{k: getattr(row, k) for k in SnoozeOut.model_fields if k != "active"}, "active": _ends_at(row) > now}
    )


async def create_snooze(
    *, session: AsyncSession, snooze_in: SnoozeIn, caller: Caller, now: datetime, on_change: AfterCommit
) -> SnoozeOut:
    """``on_change`` runs once the snooze is committed (this replica's pipeline reloads at once; the
    others within their rules refresh interval)."""
    if (snooze_in.camera is None) == (snooze_in.rule_id is None):
        raise InvalidInputError("give a camera (all its rules) or a rule_id, exactly one", field="camera")
    if snooze_in.until <= now:
        raise InvalidInputError("until must be in the future", field="until")
    if snooze_in.until > now + MAX_AHEAD:
        raise InvalidInputError("a snooze lasts at most 30 days; disable the rule instead", field="until")
    camera = snooze_in.camera
    if snooze_in.rule_id is not None:
        camera = (await rules.get(session, snooze_in.rule_id)).camera
    assert camera is not None
    row = Snooze(
        id=uuid.uuid4(),
        camera=camera,
        rule_id=snooze_in.rule_id,
        reason=snooze_in.reason,
        starts_at=now,
        until=snooze_in.until,
        created_by=caller.name,
    )
    repository.add(session, row)
    after_commit(session, on_change)
    return _out(row, now)


async def list_snoozes(
    *, session: AsyncSession, camera: str | None, rule_id: uuid.UUID | None, active: bool, now: datetime, limit: int
) -> list[SnoozeOut]:
    rows = await repository.listed(
        session, camera=camera, rule_id=rule_id, ending_after=now if active else None, limit=limit
    )
    return [_out(r, now) for r in rows]


async def end_snooze(
    *, session: AsyncSession, snooze_id: uuid.UUID, caller: Caller, now: datetime, on_change: AfterCommit
) -> SnoozeOut:
    row = await repository.get(session, snooze_id)
    if _ends_at(row) <= now:
        raise ConflictError(f"snooze {snooze_id} is already over", ended_at=_ends_at(row).isoformat())
    row.ended_at = now
    row.ended_by = caller.name
    after_commit(session, on_change)
    return _out(row, now)


async def snoozes_by_camera(*, session: AsyncSession, now: datetime) -> dict[str, list[SnoozeSpec]]:
    """The snoozes the pipeline must know: those not over, and those just over (late frames)."""
    by_camera: dict[str, list[SnoozeSpec]] = {}
    for row in await repository.listed(session, camera=None, rule_id=None, ending_after=now - RECENT, limit=10_000):
        spec = SnoozeSpec(
            str(row.id), row.camera, str(row.rule_id) if row.rule_id else None, row.starts_at, _ends_at(row)
        )
        by_camera.setdefault(row.camera, []).append(spec)
    return by_camera
