"""Camera media straight from the bus: latest snapshot (KV) and a live MJPEG view (frames subject);
the NATS side is media/service.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from services.gateway.api.deps import State, audited, footage_caller, require
from services.gateway.audit import service as audit
from services.gateway.auth.policy import Permission as P
from services.gateway.media import service as media
from services.gateway.proxy import service as proxy
from services.gateway.proxy.relay import relay
from shared.errors import UnavailableError
from shared.identity import Caller
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"], responses=PROBLEM_RESPONSES)
CameraId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="camera id (slug)")]
BOUNDARY = "cityopsframe"
# Frames a second of a redacted MJPEG view: each frame goes through the face network (about 0.3 s of CPU in
# ingest, shared by every viewer of that frame), so a redacted view is a slow one.
REDACTED_MJPEG_FPS = 1.0
# <img> tags send no headers: the media cookie is accepted here.
CamerasRead = Annotated[Caller, Depends(require(P.CAMERAS_READ, media=True))]


@router.get(
    "/{camera}/snapshot.jpg",
    dependencies=[Depends(audited(audit.SNAPSHOT_VIEW))],
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "latest frame"}},
)
async def snapshot(request: Request, gw: State, caller: CamerasRead, camera: CameraId) -> Response:
    """The latest frame of a camera as JPEG, faces and number plates blurred unless the caller holds
    `footage:raw` and gives a reason (404 problem+json when none has been seen)."""
    caller = footage_caller(request, caller)
    if caller.raw_footage:
        jpeg = await media.latest_snapshot(bus=gw.runtime.bus, camera=camera)
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
    # Redaction is ingest's (it holds the face model): the same latest frame, blurred there.
    response = await gw.upstreams.send("ingest", "GET", f"/cameras/{camera}/snapshot.jpg", caller=caller, stream=True)
    return await relay(response, request.url.path)


@router.get(
    "/{camera}/mjpeg",
    dependencies=[Depends(audited(audit.LIVE_VIEW))],
    response_class=StreamingResponse,
    responses={200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}}}},
)
async def mjpeg(
    request: Request,
    gw: State,
    caller: CamerasRead,
    camera: CameraId,
    max_fps: Annotated[float, Query(gt=0, le=30)] = 5.0,
) -> StreamingResponse:
    """Live view as `multipart/x-mixed-replace` JPEG parts, fed from `frames.<camera>`; latest frame wins.
    Faces and number plates are pixelated by ingest (at most 1 frame a second) unless the caller holds
    `footage:raw` and gives a reason."""
    caller = footage_caller(request, caller)
    if not caller.raw_footage:
        max_fps = min(max_fps, REDACTED_MJPEG_FPS)
    frames = await media.live_frames(bus=gw.runtime.bus, camera=camera, max_fps=max_fps)

    async def parts() -> AsyncIterator[bytes]:
        async with aclosing(frames):
            async for frame in frames:
                jpeg = frame
                if not caller.raw_footage:
                    try:
                        redacted = await proxy.redact_picture(
                            upstreams=gw.upstreams, caller=caller, picture=frame, stream=False
                        )
                    except UnavailableError:
                        redacted = None
                    if redacted is None or redacted.status_code != 200:
                        return  # ingest cannot redact now: the view ends rather than show the frame
                    jpeg = redacted.content
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                yield head.encode() + jpeg + b"\r\n"

    return StreamingResponse(
        parts(),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        headers={"Cache-Control": "no-store"},
    )
