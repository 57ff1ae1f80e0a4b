"""Recording routes: per-camera mode, segments and coverage, clip export, evidence marking."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from services.ingest.api.deps import RecordingSettingsDep, StoreDep
from services.ingest.recording import service
from services.ingest.recording.schemas import (
    ClipOut,
    EvidenceIn,
    EvidenceOut,
    RangeOut,
    RecordingIn,
    RecordingOut,
    SegmentOut,
)
from shared.deps import SessionDep, VerifiedCallerDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/cameras", tags=["recording"], responses=PROBLEM_RESPONSES)
evidence_router = APIRouter(prefix="/evidence", tags=["recording"], responses=PROBLEM_RESPONSES)


@router.get("/{camera_id}/recording", summary="Recording mode and retention of a camera")
async def get_recording(session: SessionDep, camera_id: str) -> RecordingOut:
    return await service.get_recording(session=session, camera_id=camera_id)


@router.put("/{camera_id}/recording", summary="Set recording: off, continuous, or events (segments around alerts)")
async def put_recording(session: SessionDep, camera_id: str, body: RecordingIn) -> RecordingOut:
    return await service.put_recording(session=session, camera_id=camera_id, recording_in=body)


@router.get("/{camera_id}/recordings", summary="Segments overlapping a time range")
async def list_segments(
    session: SessionDep, camera_id: str, start: datetime, end: datetime, limit: int = Query(500, ge=1, le=5000)
) -> list[SegmentOut]:
    return await service.list_segments(session=session, camera_id=camera_id, start=start, end=end, limit=limit)


@router.get("/{camera_id}/coverage", summary="Time ranges that have footage (the recording timeline)")
async def get_coverage(session: SessionDep, camera_id: str, start: datetime, end: datetime) -> list[RangeOut]:
    return await service.get_coverage(session=session, camera_id=camera_id, start=start, end=end)


@router.get(
    "/{camera_id}/clip.mp4",
    response_class=StreamingResponse,
    responses={200: {"content": {"video/mp4": {}}}, 416: {"description": "no footage covers the range"}},
    summary="One playable MP4 of the range (trimmed to keyframes), streamed",
)
async def clip(
    session: SessionDep, store: StoreDep, caller: VerifiedCallerDep, camera_id: str, start: datetime, end: datetime
) -> StreamingResponse:
    """Faces and number plates blurred unless the gateway's signed identity says ``raw_footage``."""
    exported = await service.export_clip(
        session=session, store=store, camera_id=camera_id, start=start, end=end, raw=caller.raw_footage
    )
    return StreamingResponse(
        exported.chunks,
        media_type="video/mp4",
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )


@router.get(
    "/{camera_id}/clip",
    responses={416: {"description": "no footage covers the range"}},
    summary="Where the clip of the same range starts (playback maps media time to the wall clock with it)",
)
async def describe_clip(
    session: SessionDep, store: StoreDep, camera_id: str, start: datetime, end: datetime
) -> ClipOut:
    return await service.describe_clip(session=session, store=store, camera_id=camera_id, start=start, end=end)


@router.post("/{camera_id}/evidence", status_code=201, summary="Keep a range as evidence until released")
async def mark_evidence(
    session: SessionDep, caller: VerifiedCallerDep, camera_id: str, body: EvidenceIn
) -> EvidenceOut:
    return await service.mark_evidence(session=session, camera_id=camera_id, evidence_in=body, created_by=caller.name)


@router.get("/{camera_id}/evidence", summary="Evidence ranges of a camera")
async def list_evidence(session: SessionDep, camera_id: str, settings: RecordingSettingsDep) -> list[EvidenceOut]:
    return await service.list_evidence(
        session=session, camera_id=camera_id, case_keep=timedelta(days=settings.case_evidence_keep_days)
    )


@evidence_router.delete("/{evidence_id}", summary="Release evidence: retention applies again")
async def release_evidence(session: SessionDep, evidence_id: uuid.UUID) -> EvidenceOut:
    return await service.release_evidence(session=session, evidence_id=evidence_id)
