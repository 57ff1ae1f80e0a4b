"""Camera media straight from the bus: latest snapshot (KV) and a live MJPEG view (frames subject)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse
from nats.js.errors import KeyNotFoundError

from services.gateway.api.deps import State, require
from services.gateway.policy import Permission as P
from shared import subjects
from shared.errors import NotFoundError
from shared.identity import Caller
from shared.problems import PROBLEM_RESPONSES

log = logging.getLogger("cityops.gateway.media")
router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"], responses=PROBLEM_RESPONSES)
CameraId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="camera id (slug)")]
BOUNDARY = "cityopsframe"
CamerasRead = Annotated[Caller, Depends(require(P.CAMERAS_READ))]


@router.get(
    "/{camera}/snapshot.jpg",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "latest frame"}},
)
async def snapshot(gw: State, _: CamerasRead, camera: CameraId) -> Response:
    """The latest frame of a camera as JPEG (404 problem+json when none has been seen)."""
    try:
        entry = await gw.runtime.bus.kv(subjects.SNAPSHOTS).get(camera)
    except KeyNotFoundError as exc:
        raise NotFoundError(f"no frame yet from camera {camera}", camera=camera) from exc
    if not entry.value:
        raise NotFoundError(f"no frame yet from camera {camera}", camera=camera)
    return Response(entry.value, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get(
    "/{camera}/mjpeg",
    response_class=StreamingResponse,
    responses={200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}}}},
)
async def mjpeg(
    gw: State,
    _: CamerasRead,
    camera: CameraId,
    max_fps: Annotated[float, Query(gt=0, le=30)] = 5.0,
) -> StreamingResponse:
    """Live view as `multipart/x-mixed-replace` JPEG parts, fed from `frames.<camera>`; latest frame wins."""
    nc = gw.runtime.bus.nc
    latest: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1)

    async def on_frame(msg: object) -> None:
        data: bytes = msg.data  # type: ignore[attr-defined]
        if latest.full():
            latest.get_nowait()
        latest.put_nowait(data)

    sub = await nc.subscribe(subjects.frames(camera), cb=on_frame)

    async def parts() -> AsyncIterator[bytes]:
        interval = 1.0 / max_fps
        try:
            while True:
                jpeg = await latest.get()
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                yield head.encode() + jpeg + b"\r\n"
                await asyncio.sleep(interval)
        finally:
            await sub.unsubscribe()

    return StreamingResponse(
        parts(),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        headers={"Cache-Control": "no-store"},
    )
