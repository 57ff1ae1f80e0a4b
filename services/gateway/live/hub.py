"""One NATS subscription per (camera, quality, raw or not) on this replica, shared by every viewer of it.

A viewer asks for ``main`` or ``sub``; it gets the redacted video (subject ``live.<camera>.<quality>``)
unless the gateway found it may see raw footage, and then the camera's own
(``live.<camera>.<quality>-raw``, shared/subjects.py). Either way its messages name the quality it asked for.

A channel keeps the latest init segment and the fragments since the last keyframe, so a new viewer
starts at once; while it has viewers it repeats ``live.want.<camera>.<quality>`` (ingest relays only
what is wanted). A viewer is one page's WebSocket (``Viewer``): a bounded send queue for all its
cameras; when it is full a camera skips to its next keyframe instead of buffering without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from shared import subjects
from shared.bus import Bus
from shared.messages import LiveHeaders

log = logging.getLogger("cityops.gateway.live")

VIEWERS = Gauge("cityops_gateway_live_viewer_streams", "Camera streams being sent to live viewers")
CHANNELS = Gauge("cityops_gateway_live_channels", "(camera, quality) subscriptions shared by live viewers")
SENT_BYTES = Counter("cityops_gateway_live_sent_bytes_total", "fMP4 bytes queued to live viewers")
DROPPED = Counter(
    "cityops_gateway_live_dropped_total", "fMP4 pieces a slow live viewer skipped (it resumes at a keyframe)"
)
# Fragments kept for a new viewer: one GOP; a camera with longer GOPs starts at its next keyframe.
GOP_CACHE_PIECES = 300

Status = Literal["live", "offline", "unknown", "forbidden", "waiting"]


@dataclass(frozen=True)
class Piece:
    camera: str
    quality: str
    kind: str
    keyframe: bool
    codec: str
    data: bytes

    def frame(self) -> bytes:
        """The binary WebSocket message: 2-byte big-endian header length, JSON header, payload."""
        header = json.dumps(
            {"camera": self.camera, "quality": self.quality, "kind": self.kind, "codec": self.codec,
             "keyframe": self.keyframe},
            separators=(",", ":"),
        ).encode()  # fmt: skip
        return struct.pack(">H", len(header)) + header + self.data


Outgoing = bytes | dict[str, Any]


@dataclass(eq=False)
class Viewer:
    """One page's WebSocket: what it watches and its bounded send queue (bytes or JSON status)."""

    max_bytes: int
    queue: asyncio.Queue[Outgoing] = field(default_factory=asyncio.Queue)
    queued_bytes: int = 0
    # Cameras that overflowed: nothing more of them until their next init (keyframe).
    resync: set[tuple[str, str]] = field(default_factory=set)
    pending_bytes: dict[tuple[str, str], int] = field(default_factory=dict)

    def offer(self, piece: Piece) -> None:
        key = (piece.camera, piece.quality)
        if key in self.resync:
            if piece.kind != "init":
                DROPPED.inc()
                return
            self.resync.discard(key)
        message = piece.frame()
        if self.queued_bytes + len(message) > self.max_bytes:
            DROPPED.inc()
            self.resync.add(key)
            return
        self.queued_bytes += len(message)
        SENT_BYTES.inc(len(message))
        self.queue.put_nowait(message)

    def status(self, camera: str, quality: str, status: Status) -> None:
        self.queue.put_nowait({"camera": camera, "quality": quality, "status": status})

    async def next(self) -> Outgoing:
        item = await self.queue.get()
        if isinstance(item, bytes):
            self.queued_bytes -= len(item)
        return item


class Channel:
    def __init__(self, hub: LiveHub, camera: str, quality: str, raw: bool) -> None:
        self.camera = camera
        self.quality = quality
        # The quality asked of ingest: the redacted video, or the raw one.
        self.source = quality + subjects.RAW_SUFFIX if raw else quality
        self.viewers: set[Viewer] = set()
        self.status: Status = "waiting"
        self.last_data = time.monotonic()
        self._hub = hub
        self._cache: list[Piece] = []
        self._sub: Any = None

    async def open(self) -> None:
        self._sub = await self._hub.bus.nc.subscribe(subjects.live(self.camera, self.source), cb=self._on_message)
        await self._hub.want(self)

    async def close(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()

    def join(self, viewer: Viewer) -> None:
        self.viewers.add(viewer)
        viewer.resync.discard((self.camera, self.quality))
        viewer.status(self.camera, self.quality, self.status)
        for piece in self._cache:
            viewer.offer(piece)

    async def _on_message(self, msg: Any) -> None:
        try:
            headers = LiveHeaders.from_headers(msg.headers or {})
        except ValidationError:
            return
        piece = Piece(self.camera, self.quality, headers.kind, headers.keyframe, headers.codec, msg.data)
        if piece.kind == "init":
            self._cache = [piece]
        elif piece.keyframe:
            self._cache = [p for p in self._cache[:1] if p.kind == "init"] + [piece]
        elif 1 < len(self._cache) < GOP_CACHE_PIECES:
            self._cache.append(piece)
        else:
            self._cache = []  # a GOP too long to keep: the next viewer waits for a keyframe
        self.last_data = time.monotonic()
        self._set_status("live")
        for viewer in self.viewers:
            viewer.offer(piece)

    def watch(self, offline_after_s: float) -> None:
        """Called every tick: a channel without data for ``offline_after_s`` reads offline."""
        if time.monotonic() - self.last_data > offline_after_s:
            self._cache = []
            self._set_status("offline")

    def _set_status(self, status: Status) -> None:
        if status != self.status:
            self.status = status
            for viewer in self.viewers:
                viewer.status(self.camera, self.quality, status)


class LiveHub:
    """The gateway's channels; one per (camera, quality, raw) with at least one viewer."""

    def __init__(self, bus: Bus, *, want_interval_s: float, offline_after_s: float) -> None:
        self.bus = bus
        self._want_interval_s = want_interval_s
        self._offline_after_s = offline_after_s
        self._channels: dict[tuple[str, str, bool], Channel] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-hub")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def watch(self, viewer: Viewer, camera: str, quality: str, *, raw: bool = False) -> None:
        """``raw``: the camera's own video (the caller may see raw footage), else the redacted one; a
        viewer watching the other one of this camera and quality is switched."""
        async with self._lock:
            await self._leave_channel(viewer, (camera, quality, not raw))
            channel = self._channels.get((camera, quality, raw))
            if channel is None:
                channel = Channel(self, camera, quality, raw)
                await channel.open()
                self._channels[(camera, quality, raw)] = channel
                CHANNELS.set(len(self._channels))
            if viewer not in channel.viewers:
                VIEWERS.inc()
            channel.join(viewer)

    async def unwatch(self, viewer: Viewer, camera: str, quality: str) -> None:
        async with self._lock:
            for raw in (False, True):
                await self._leave_channel(viewer, (camera, quality, raw))

    async def _leave_channel(self, viewer: Viewer, key: tuple[str, str, bool]) -> None:
        channel = self._channels.get(key)
        if channel is None or viewer not in channel.viewers:
            return
        channel.viewers.discard(viewer)
        VIEWERS.dec()
        if not channel.viewers:
            del self._channels[key]
            CHANNELS.set(len(self._channels))
            await channel.close()

    async def leave(self, viewer: Viewer) -> None:
        for camera, quality, _ in [key for key, c in self._channels.items() if viewer in c.viewers]:
            await self.unwatch(viewer, camera, quality)

    async def want(self, channel: Channel) -> None:
        try:
            await self.bus.publish(subjects.live_want(channel.camera, channel.source), b"")
        except Exception as exc:
            log.debug("live.want_failed", extra={"camera": channel.camera, "error": repr(exc)})

    async def _run(self) -> None:
        last_want = 0.0
        while True:
            await asyncio.sleep(1.0)
            wanting = time.monotonic() - last_want >= self._want_interval_s
            if wanting:
                last_want = time.monotonic()
            for channel in list(self._channels.values()):
                channel.watch(self._offline_after_s)
                if wanting:
                    await self.want(channel)
