"""All SQL of recording: per-camera settings, the segment index, evidence ranges, alert windows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.recording.models import AlertWindow, CaseEvidence, Evidence, RecordingConfig, Segment
from shared.db import get_existing


async def get_config(session: AsyncSession, camera_id: str) -> RecordingConfig | None:
    return await session.get(RecordingConfig, camera_id)


async def upsert_config(session: AsyncSession, camera_id: str, values: dict[str, Any]) -> None:
    values = {"camera_id": camera_id, **values}
    stmt = insert(RecordingConfig).values(**values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["camera_id"], set_=values))


async def recorded_cameras(session: AsyncSession) -> list[str]:
    """Cameras whose recording is not off."""
    return list(await session.scalars(select(RecordingConfig.camera_id).where(RecordingConfig.mode != "off")))


def _overlapping(camera: str, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [Segment.camera_id == camera, Segment.end_at > start, Segment.start_at < end]


async def segments_between(session: AsyncSession, camera: str, start: datetime, end: datetime) -> list[Segment]:
    stmt = select(Segment).where(*_overlapping(camera, start, end)).order_by(Segment.start_at)
    return list((await session.execute(stmt)).scalars())


async def spans_between(
    session: AsyncSession, camera: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """(start_at, end_at) of the segments overlapping [start, end], in order."""
    stmt = select(Segment.start_at, Segment.end_at).where(*_overlapping(camera, start, end)).order_by(Segment.start_at)
    return [(s, e) for s, e in (await session.execute(stmt)).all()]


async def index_segment(
    session: AsyncSession, *, camera: str, start_at: datetime, end_at: datetime, path: str, size: int, codec: str
) -> None:
    """Idempotent by path: a segment indexed twice (a retried attempt) stays one row."""
    await session.execute(
        insert(Segment)
        .values(camera_id=camera, start_at=start_at, end_at=end_at, path=path, bytes=size, codec=codec)
        .on_conflict_do_nothing(index_elements=["path"])
    )


async def delete_segment(session: AsyncSession, segment: Segment) -> None:
    await session.delete(segment)


def _kept_as_evidence(now: datetime, case_keep: timedelta) -> ColumnElement[bool]:
    """A hold not released covers the segment, unless it is a case's hold and its case has been final
    for longer than ``case_keep`` (the hold lapses on its own: nothing has to run at that moment)."""
    lapsed = (Evidence.origin == "case") & exists().where(
        CaseEvidence.case_ref == Evidence.case_ref, CaseEvidence.closed_at < now - case_keep
    )
    return exists().where(
        Evidence.camera_id == Segment.camera_id,
        Evidence.released_at.is_(None),
        Evidence.start_at < Segment.end_at,
        Evidence.end_at > Segment.start_at,
        ~lapsed,
    )


def _seconds(seconds: Any) -> Any:
    return func.make_interval(0, 0, 0, 0, 0, 0, seconds)


async def past_retention(session: AsyncSession, now: datetime, case_keep: timedelta) -> Sequence[Segment]:
    """Segments older than their camera's retention (7 days without settings), unless evidence."""
    stmt = (
        select(Segment)
        .join(RecordingConfig, RecordingConfig.camera_id == Segment.camera_id, isouter=True)
        .where(
            Segment.end_at < now - func.make_interval(0, 0, 0, func.coalesce(RecordingConfig.retention_days, 7)),
            ~_kept_as_evidence(now, case_keep),
        )
    )
    return (await session.execute(stmt)).scalars().all()


async def outside_alert_windows(session: AsyncSession, now: datetime, case_keep: timedelta) -> Sequence[Segment]:
    """Segments of `events` cameras no alert window (± pre/post) touches, unless evidence."""
    in_window = exists().where(
        AlertWindow.camera_id == Segment.camera_id,
        AlertWindow.start_at - _seconds(RecordingConfig.pre_s) < Segment.end_at,
        func.coalesce(AlertWindow.end_at, now) + _seconds(RecordingConfig.post_s) > Segment.start_at,
    )
    # A segment just closed may still gain an alert that started before its end: wait for post_s.
    stmt = (
        select(Segment)
        .join(RecordingConfig, RecordingConfig.camera_id == Segment.camera_id)
        .where(
            RecordingConfig.mode == "events",
            Segment.end_at < now - _seconds(RecordingConfig.post_s + 30),
            ~in_window,
            ~_kept_as_evidence(now, case_keep),
        )
    )
    return (await session.execute(stmt)).scalars().all()


async def claim_sweep(session: AsyncSession) -> bool:
    """Whether this transaction may sweep: replicas share one volume and one index, and two sweeps at
    once would delete the same rows twice (the loser's flush fails). Held until the transaction ends."""
    lock = func.pg_try_advisory_xact_lock(func.hashtext("cityops.ingest.recording.sweep"))
    return bool((await session.execute(select(lock))).scalar_one())


async def total_bytes(session: AsyncSession) -> int:
    return int((await session.execute(select(func.coalesce(func.sum(Segment.bytes), 0)))).scalar_one())


async def oldest_unprotected(session: AsyncSession, now: datetime, case_keep: timedelta) -> Sequence[Segment]:
    """Every segment that is not evidence, oldest first (the budget sweep stops once enough is freed)."""
    stmt = select(Segment).where(~_kept_as_evidence(now, case_keep)).order_by(Segment.start_at)
    return (await session.execute(stmt)).scalars().all()


async def record_alert_window(
    session: AsyncSession, *, alert_id: str, camera: str, start_at: datetime, end_at: datetime | None
) -> None:
    """Insert the window, or close it; a later message without an end never reopens it."""
    stmt = insert(AlertWindow).values(alert_id=alert_id, camera_id=camera, start_at=start_at, end_at=end_at)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["alert_id"], set_={"end_at": func.coalesce(stmt.excluded.end_at, AlertWindow.end_at)}
        )
    )


async def add_evidence(session: AsyncSession, row: Evidence) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)


async def list_evidence(session: AsyncSession, camera_id: str) -> list[tuple[Evidence, datetime | None]]:
    """A camera's holds, each with when its case became final (None: no case, or the case is open)."""
    stmt = (
        select(Evidence, CaseEvidence.closed_at)
        .join(CaseEvidence, CaseEvidence.case_ref == Evidence.case_ref, isouter=True)
        .where(Evidence.camera_id == camera_id)
        .order_by(Evidence.start_at)
    )
    return [(row, closed_at) for row, closed_at in await session.execute(stmt)]


async def get_evidence(session: AsyncSession, evidence_id: uuid.UUID) -> Evidence:
    return await get_existing(session, Evidence, evidence_id, missing=f"evidence {evidence_id} not found")


async def save(session: AsyncSession) -> None:
    """Write the changes made to loaded rows (the unit of work commits them)."""
    await session.flush()
