"""Camera media from NATS, without going through the ingest service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from nats.aio.msg import Msg
from nats.js.errors import KeyNotFoundError

from shared import subjects
from shared.bus import Bus
from shared.errors import NotFoundError


async def latest_snapshot(*, bus: Bus, camera: str) -> bytes:
    """The latest JPEG of ``camera``; NotFoundError when none has been seen."""
    try:
        entry = await bus.kv(subjects.SNAPSHOTS).get(camera)
    except KeyNotFoundError as exc:
        raise NotFoundError(f"no frame yet from camera {camera}", camera=camera) from exc
    if not entry.value:
        raise NotFoundError(f"no frame yet from camera {camera}", camera=camera)
    return entry.value


async def live_frames(*, bus: Bus, camera: str, max_fps: float) -> AsyncGenerator[bytes, None]:
    """The camera's JPEG frames, at most ``max_fps`` a second; when the reader is slower the latest
    frame wins. Subscribed as soon as it is created, so that the first frame is not missed while the
    response starts; closing it unsubscribes."""
    latest: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1)

    async def on_frame(msg: Msg) -> None:
        if latest.full():
            latest.get_nowait()
        latest.put_nowait(msg.data)

    sub = await bus.nc.subscribe(subjects.frames(camera), cb=on_frame)

    async def frames() -> AsyncGenerator[bytes, None]:
        interval = 1.0 / max_fps
        try:
            while True:
                yield await latest.get()
                await asyncio.sleep(interval)
        finally:
            await sub.unsubscribe()

    return frames()
