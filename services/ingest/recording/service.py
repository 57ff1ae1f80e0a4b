"""Recording use cases behind the API (mode, segments, coverage, clips, evidence) and the alert windows
that `events` recording keeps footage around."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.cameras import repository as cameras
from services.ingest.privacy.redact import redactor
from services.ingest.recording import repository
from services.ingest.recording.clips import Piece, first_frame_at, stream_clip
from services.ingest.recording.models import Evidence
from services.ingest.recording.schemas import (
    ClipOut,
    EvidenceIn,
    EvidenceOut,
    RangeOut,
    RecordingIn,
    RecordingOut,
    SegmentOut,
)
from services.ingest.recording.store import SegmentStore
from shared.errors import InvalidInputError, RangeNotSatisfiableError
from shared.messages import AlertEvent

MAX_CLIP_S = 3 * 3600


@dataclass(frozen=True)
class Clip:
    filename: str
    chunks: AsyncIterator[bytes]


def _range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    if end <= start:
        raise InvalidInputError("end must be after start", field="end")
    if (end - start).total_seconds() > MAX_CLIP_S:
        raise InvalidInputError(f"a clip may span at most {MAX_CLIP_S // 3600} hours", field="end")
    return start, end


async def get_recording(*, session: AsyncSession, camera_id: str) -> RecordingOut:
    await cameras.get(session, camera_id)
    row = await repository.get_config(session, camera_id)
    if row is None:
        return RecordingOut(camera_id=camera_id, mode="off")
    return RecordingOut(camera_id=camera_id, mode=row.mode, retention_days=row.retention_days,
                        pre_s=row.pre_s, post_s=row.post_s)  # fmt: skip


async def put_recording(*, session: AsyncSession, camera_id: str, recording_in: RecordingIn) -> RecordingOut:
    await cameras.get(session, camera_id)
    await repository.upsert_config(session, camera_id, {**recording_in.model_dump(), "updated_at": datetime.now(UTC)})
    return RecordingOut(camera_id=camera_id, **recording_in.model_dump())


async def list_segments(
    *, session: AsyncSession, camera_id: str, start: datetime, end: datetime, limit: int
) -> list[SegmentOut]:
    start, end = _range(start, end)
    segments = await repository.segments_between(session, camera_id, start, end)
    return [SegmentOut.model_validate(s) for s in segments[:limit]]


async def get_coverage(*, session: AsyncSession, camera_id: str, start: datetime, end: datetime) -> list[RangeOut]:
    """Ranges of [start, end] covered by footage (gaps under a second are joined)."""
    start, end = _range(start, end)
    ranges: list[tuple[datetime, datetime]] = []
    for s, e in await repository.spans_between(session, camera_id, start, end):
        if ranges and s - ranges[-1][1] <= timedelta(seconds=1):
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], e))
        else:
            ranges.append((s, e))
    return [RangeOut(start_at=s, end_at=e) for s, e in ranges]


async def _pieces(
    session: AsyncSession, store: SegmentStore, camera_id: str, start: datetime, end: datetime
) -> list[Piece]:
    await cameras.get(session, camera_id)
    segments = await repository.segments_between(session, camera_id, start, end)
    if not segments:
        raise RangeNotSatisfiableError(
            f"no footage of camera {camera_id} between {start.isoformat()} and {end.isoformat()}", camera=camera_id
        )
    return [Piece(path=str(store.resolve(s.path)), start_at=s.start_at) for s in segments]


async def export_clip(
    *, session: AsyncSession, store: SegmentStore, camera_id: str, start: datetime, end: datetime, raw: bool = False
) -> Clip:
    """One playable MP4 of the range (trimmed to keyframes), produced while it is sent; faces and
    plates blurred (re-encoded) unless ``raw``."""
    start, end = _range(start, end)
    pieces = await _pieces(session, store, camera_id, start, end)
    chunks = stream_clip(pieces, start, end, None if raw else redactor())
    return Clip(f"{camera_id}-{start.strftime('%Y%m%dT%H%M%S')}.mp4", chunks)


async def describe_clip(
    *, session: AsyncSession, store: SegmentStore, camera_id: str, start: datetime, end: datetime
) -> ClipOut:
    """When the clip of the same range starts: playback maps the player's media time to the wall clock."""
    start, end = _range(start, end)
    pieces = await _pieces(session, store, camera_id, start, end)
    first = await asyncio.to_thread(first_frame_at, pieces, start, end)
    if first is None:
        raise RangeNotSatisfiableError(f"no frame of camera {camera_id} in the range", camera=camera_id)
    return ClipOut(camera_id=camera_id, start_at=first, end_at=end)


async def mark_evidence(
    *, session: AsyncSession, camera_id: str, evidence_in: EvidenceIn, created_by: str
) -> EvidenceOut:
    await cameras.get(session, camera_id)
    row = Evidence(camera_id=camera_id, created_by=created_by, **evidence_in.model_dump())
    await repository.add_evidence(session, row)
    return EvidenceOut.model_validate(row)


async def list_evidence(*, session: AsyncSession, camera_id: str, case_keep: timedelta) -> list[EvidenceOut]:
    """A camera's holds; a case's hold says when it lapses once its case is final (the sweeper's rule)."""
    out = []
    for row, closed_at in await repository.list_evidence(session, camera_id):
        hold = EvidenceOut.model_validate(row)
        hold.lapses_at = closed_at + case_keep if closed_at is not None and row.origin == "case" else None
        out.append(hold)
    return out


async def release_evidence(*, session: AsyncSession, evidence_id: uuid.UUID) -> EvidenceOut:
    row = await repository.get_evidence(session, evidence_id)
    row.released_at = row.released_at or datetime.now(UTC)
    await repository.save(session)
    return EvidenceOut.model_validate(row)


async def record_alert_window(*, session: AsyncSession, event: AlertEvent) -> None:
    """Remember when an alert was active on its camera (``event.camera`` is set)."""
    assert event.camera is not None
    await repository.record_alert_window(
        session, alert_id=event.alert_id, camera=event.camera, start_at=event.started_at, end_at=event.ended_at
    )
