"""Use cases of the outage incidents: apply a camera's status, step the incidents, read them.

``apply_status`` (the CAMERA_STATUS consumer, one message at a time per replica) only records what a
camera does: offline since when, or delivering again. ``step`` (every replica, a few times a second)
does the rest under one advisory lock: cameras back or under a maintenance window leave their
incident, cameras offline for ``debounce_s`` join or found one (``grouping``), and each incident's
lifecycle step is staged in the outbox: ``started`` at once, ``updated`` at most every
``update_interval_s`` while cameras drop or return, ``ended`` once all its cameras are back. Every
replica can step; whoever holds the lock does, the others skip the round.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.maintenance.rules import Window, covered
from services.analytics.outages import repository
from services.analytics.outages.grouping import Down, Incident, describe, group_keys, plan
from services.analytics.outages.models import OutageCamera, OutageIncident, OutageMember
from services.analytics.outages.schemas import IncidentCameraOut, IncidentOut, IncidentStatus
from shared import subjects
from shared.messages import AlertEvent, AlertPhase, CameraStatusChanged
from shared.outbox import Outbox
from shared.pagination import Page

log = logging.getLogger("cityops.analytics.outages")

RULE_TYPE = "camera_outage"
sort_incidents = repository.INCIDENT_ORDER.sort_query("-started_at")
# Statuses that say the camera delivers again (frozen: frames arrive, the picture is stuck) or is no
# longer watched (disabled, deleted). "connecting" says nothing yet.
_BACK = frozenset({"online", "frozen", "disabled"})


@dataclass(frozen=True)
class OutageConfig:
    debounce_s: float
    window_s: float
    update_interval_s: float


async def apply_status(*, session: AsyncSession, message: CameraStatusChanged) -> None:
    """One statement, no lock: the consumer keeps up with hundreds of cameras changing at once, and a
    status older than the one stored (a redelivery, another replica's message) changes nothing."""
    await repository.record_status(
        session,
        camera=message.camera,
        ward=message.ward,
        tags=message.tags,
        status=message.status,
        reason=message.reason,
        at=message.at,
        back=_BACK,
    )


async def step(
    *, session: AsyncSession, outbox: Outbox, config: OutageConfig, windows: Sequence[Window], now: datetime
) -> int:
    """One round of grouping and publishing; the number of lifecycle steps staged (0 when another
    replica holds the lock).

    It reads what the consumer wrote without locking it out: a camera whose status changes during the
    round is seen as it was, and the next round (``tick_s`` later) sees the change; what a round writes
    to a camera row is only which incident it is in."""
    if not await repository.try_lock(session):
        return 0
    incidents = {row.id: row for row in await repository.open_incidents(session)}
    members: dict[uuid.UUID, list[OutageMember]] = defaultdict(list)
    for m in await repository.members(session, list(incidents)):
        members[m.incident_id].append(m)
    watched = await repository.watched_cameras(session)
    for cam in watched:
        if cam.incident_id is not None and (
            cam.down_since is None or covered(windows, cam.camera, cam.ward, cam.tags, now)
        ):
            await _leave(session, cam, incidents, members)
    due = [
        c
        for c in watched
        if c.down_since is not None
        and c.incident_id is None
        and c.down_since <= now - timedelta(seconds=config.debounce_s)
        and not covered(windows, c.camera, c.ward, c.tags, now)
    ]
    await _join(session, due, incidents, members, config.window_s)
    staged = 0
    for row in incidents.values():
        staged += _publish(session, outbox, row, members[row.id], config, now)
    return staged


async def _leave(
    session: AsyncSession,
    cam: OutageCamera,
    incidents: dict[uuid.UUID, OutageIncident],
    members: dict[uuid.UUID, list[OutageMember]],
) -> None:
    """``cam`` is back (marked so in its incident) or under maintenance (no incident includes it)."""
    assert cam.incident_id is not None
    row, listed = incidents.get(cam.incident_id), members.get(cam.incident_id, [])
    member = next((m for m in listed if m.camera == cam.camera), None)
    if row is not None and member is not None:
        row.dirty = True
        if cam.down_since is None:
            member.up_at = cam.at
        else:
            listed.remove(member)
            await repository.remove(session, member)
    cam.incident_id = None


async def _join(
    session: AsyncSession,
    due: list[OutageCamera],
    incidents: dict[uuid.UUID, OutageIncident],
    members: dict[uuid.UUID, list[OutageMember]],
    window_s: float,
) -> None:
    """Place the cameras ``due`` in incidents; ``members`` (of the open incidents) gains the new ones."""
    by_camera = {c.camera: c for c in due}
    known = [Incident(r.id, r.group_key, r.started_at, set(r.keys)) for r in incidents.values()]
    downs = [Down(c.camera, group_keys(c.ward, c.tags), c.down_since) for c in due if c.down_since is not None]
    for planned in plan(downs, known, window_s):
        row = incidents.get(planned.id)
        if row is None:
            row = OutageIncident(
                id=planned.id, group_key=planned.group_key, status="open", started_at=planned.started_at,
                detail="", down=0, peak_down=0, seq=0,
            )  # fmt: skip
            await repository.add_incident(session, row)
            incidents[row.id] = row
        row.keys = sorted(planned.keys)
        row.dirty = True
        listed = {m.camera: m for m in members[row.id]}
        for d in planned.joined:
            cam = by_camera[d.camera]
            cam.incident_id = row.id
            member = listed.get(d.camera)
            if member is None:
                member = OutageMember(incident_id=row.id, camera=d.camera)
                repository.add(session, member)
                members[row.id].append(member)
            # A camera back and down again within the same incident is listed once, down since now.
            member.down_at, member.up_at, member.reason = d.at, None, cam.reason


def _publish(
    session: AsyncSession,
    outbox: Outbox,
    row: OutageIncident,
    members: list[OutageMember],
    config: OutageConfig,
    now: datetime,
) -> int:
    row.down = sum(1 for m in members if m.up_at is None)
    row.peak_down = max(row.peak_down, row.down)
    phase: AlertPhase
    if row.down == 0:
        row.status, row.ended_at, phase = "ended", now, "ended"
    elif row.seq == 0:
        phase = "started"
    elif row.dirty and (
        row.published_at is None or now - row.published_at >= timedelta(seconds=config.update_interval_s)
    ):
        phase = "updated"
    else:
        return 0
    cameras = sorted(m.camera for m in members)
    row.detail = describe(row.group_key, row.down, len(cameras), config.window_s)
    event = AlertEvent(
        alert_id=str(row.id),
        phase=phase,
        source="outage",
        rule_type=RULE_TYPE,
        rule_name="Camera outage",
        count=row.down,
        peak_count=row.peak_down,
        started_at=row.started_at,
        ended_at=row.ended_at,
        at=now,
        detail=row.detail,
        severity="high",
        cameras=cameras,
    )
    outbox.stage(session, subjects.outage(str(row.id)), event, msg_id=f"outage-{row.id}-{row.seq}")
    row.seq += 1
    row.published_at, row.dirty = now, False
    log.info(
        f"outage.{phase}",
        extra={"incident": str(row.id), "group": row.group_key, "down": row.down, "cameras": len(cameras)},
    )
    return 1


def _out(row: OutageIncident, members: list[OutageMember]) -> IncidentOut:
    status: IncidentStatus = "ended" if row.status == "ended" else "open"
    return IncidentOut(
        id=row.id,
        status=status,
        group_key=row.group_key,
        keys=list(row.keys),
        detail=row.detail,
        started_at=row.started_at,
        ended_at=row.ended_at,
        down=row.down,
        peak_down=row.peak_down,
        cameras=[IncidentCameraOut.model_validate(m) for m in members],
    )


async def list_incidents(
    *,
    session: AsyncSession,
    status: IncidentStatus | None,
    since: datetime | None,
    sort: str,
    cursor: str | None,
    limit: int,
) -> Page[IncidentOut]:
    rows, next_cursor = await repository.page(
        session, status=status, since=since, sort=sort, cursor=cursor, limit=limit
    )
    members: dict[uuid.UUID, list[OutageMember]] = defaultdict(list)
    for m in await repository.members(session, [r.id for r in rows]):
        members[m.incident_id].append(m)
    return Page[IncidentOut](items=[_out(r, members[r.id]) for r in rows], next_cursor=next_cursor)


async def get_incident(*, session: AsyncSession, incident_id: uuid.UUID) -> IncidentOut:
    row = await repository.incident(session, incident_id)
    return _out(row, await repository.members(session, [row.id]))
