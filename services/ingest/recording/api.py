"""Recording routes: per-camera mode, segments and coverage, clip export, evidence marking."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.recording import manager as recording
from services.ingest.recording.clips import Piece, stream_clip
from services.ingest.recording.models import Evidence, RecordingConfig
from services.ingest.storage import CameraRow
from shared.errors import InvalidInputError, NotFoundError, RangeNotSatisfiableError
from shared.identity import Caller
from shared.problems import PROBLEM_RESPONSES
from shared.service import Runtime

router = APIRouter(prefix="/cameras", tags=["recording"], responses=PROBLEM_RESPONSES)
evidence_router = APIRouter(prefix="/evidence", tags=["recording"], responses=PROBLEM_RESPONSES)
MAX_CLIP_S = 3 * 3600


async def session_dep(request: Request) -> AsyncIterator[AsyncSession]:
    runtime: Runtime = request.app.state.runtime
    async with runtime.database.session() as session:
        yield session


Session = Annotated[AsyncSession, Depends(session_dep)]


class RecordingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["off", "continuous", "events"]
    retention_days: int = Field(7, ge=1, le=3650)
    pre_s: float = Field(10.0, ge=0, le=600, description="events mode: kept before an alert")
    post_s: float = Field(20.0, ge=0, le=3600, description="events mode: kept after an alert ends")


class RecordingOut(RecordingIn):
    camera_id: str


class SegmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    start_at: datetime
    end_at: datetime
    bytes: int
    codec: str | None


class RangeOut(BaseModel):
    start_at: datetime
    end_at: datetime


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_at: datetime
    end_at: datetime
    reason: str = Field(min_length=3, max_length=2000)
    case_ref: str | None = Field(None, max_length=100)
    alert_ref: str | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _range(self) -> EvidenceIn:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class EvidenceOut(EvidenceIn):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    camera_id: str
    created_by: str
    created_at: datetime
    released_at: datetime | None


async def _camera(session: AsyncSession, camera_id: str) -> None:
    if await session.get(CameraRow, camera_id) is None:
        raise NotFoundError(f"camera {camera_id} not found", camera=camera_id)


def _range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    if end <= start:
        raise InvalidInputError("end must be after start", field="end")
    if (end - start).total_seconds() > MAX_CLIP_S:
        raise InvalidInputError(f"a clip may span at most {MAX_CLIP_S // 3600} hours", field="end")
    return start, end


@router.get("/{camera_id}/recording", summary="Recording mode and retention of a camera")
async def get_recording(session: Session, camera_id: str) -> RecordingOut:
    await _camera(session, camera_id)
    row = await session.get(RecordingConfig, camera_id)
    if row is None:
        return RecordingOut(camera_id=camera_id, mode="off")
    return RecordingOut(camera_id=camera_id, mode=row.mode, retention_days=row.retention_days,
                        pre_s=row.pre_s, post_s=row.post_s)  # fmt: skip


@router.put("/{camera_id}/recording", summary="Set recording: off, continuous, or events (segments around alerts)")
async def put_recording(session: Session, camera_id: str, body: RecordingIn) -> RecordingOut:
    await _camera(session, camera_id)
    values = {"camera_id": camera_id, **body.model_dump(), "updated_at": datetime.now(UTC)}
    stmt = insert(RecordingConfig).values(**values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["camera_id"], set_=values))
    return RecordingOut(camera_id=camera_id, **body.model_dump())


@router.get("/{camera_id}/recordings", summary="Segments overlapping a time range")
async def list_segments(
    session: Session, camera_id: str, start: datetime, end: datetime, limit: int = Query(500, ge=1, le=5000)
) -> list[SegmentOut]:
    start, end = _range(start, end)
    segments = await recording.segments_between(session, camera_id, start, end)
    return [SegmentOut.model_validate(s) for s in segments[:limit]]


@router.get("/{camera_id}/coverage", summary="Time ranges that have footage (the recording timeline)")
async def get_coverage(session: Session, camera_id: str, start: datetime, end: datetime) -> list[RangeOut]:
    start, end = _range(start, end)
    return [RangeOut(start_at=s, end_at=e) for s, e in await recording.coverage(session, camera_id, start, end)]


@router.get(
    "/{camera_id}/clip.mp4",
    response_class=StreamingResponse,
    responses={200: {"content": {"video/mp4": {}}}, 416: {"description": "no footage covers the range"}},
    summary="One playable MP4 of the range (trimmed to keyframes), streamed",
)
async def clip(session: Session, camera_id: str, start: datetime, end: datetime) -> StreamingResponse:
    start, end = _range(start, end)
    await _camera(session, camera_id)
    segments = await recording.segments_between(session, camera_id, start, end)
    if not segments:
        raise RangeNotSatisfiableError(
            f"no footage of camera {camera_id} between {start.isoformat()} and {end.isoformat()}", camera=camera_id
        )
    pieces = [Piece(path=s.path, start_at=s.start_at) for s in segments]
    name = f"{camera_id}-{start.strftime('%Y%m%dT%H%M%S')}.mp4"
    return StreamingResponse(
        stream_clip(pieces, start, end),
        media_type="video/mp4",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/{camera_id}/evidence", status_code=201, summary="Keep a range as evidence until released")
async def mark_evidence(request: Request, session: Session, camera_id: str, body: EvidenceIn) -> EvidenceOut:
    await _camera(session, camera_id)
    caller = Caller.from_headers(request.headers)
    row = Evidence(camera_id=camera_id, created_by=caller.name, **body.model_dump())
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return EvidenceOut.model_validate(row)


@router.get("/{camera_id}/evidence", summary="Evidence ranges of a camera")
async def list_evidence(session: Session, camera_id: str) -> list[EvidenceOut]:
    rows = await session.execute(select(Evidence).where(Evidence.camera_id == camera_id).order_by(Evidence.start_at))
    return [EvidenceOut.model_validate(r) for r in rows.scalars()]


@evidence_router.delete("/{evidence_id}", summary="Release evidence: retention applies again")
async def release_evidence(session: Session, evidence_id: uuid.UUID) -> EvidenceOut:
    row = await session.get(Evidence, evidence_id)
    if row is None:
        raise NotFoundError(f"evidence {evidence_id} not found")
    row.released_at = row.released_at or datetime.now(UTC)
    await session.flush()
    return EvidenceOut.model_validate(row)
