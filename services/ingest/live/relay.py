"""The event-loop side of the live relay: demand from the gateways, and publishing the chunks.

A gateway with a viewer repeats ``live.want.<camera>.<quality>`` every few seconds; this replica relays
the cameras it owns (it holds their ``StreamWorker``) until ``linger_s`` after the last want, then
stops muxing, so an unwatched camera costs no NATS bandwidth. ``sub`` is the same stream as ``main``
(the registry has no sub-stream URL yet): one muxing session feeds both subjects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from prometheus_client import Counter, Gauge

from services.ingest.live.fmp4 import Chunk
from services.ingest.live.tap import LiveTap
from shared import subjects
from shared.bus import Bus
from shared.messages import LiveHeaders

log = logging.getLogger("cityops.ingest.live")

LIVE_RELAYS = Gauge("cityops_ingest_live_relays", "Cameras this replica relays as live fMP4 now")
LIVE_BYTES = Counter("cityops_ingest_live_bytes_total", "fMP4 bytes published on live subjects", ["camera"])
LIVE_DROPPED = Counter(
    "cityops_ingest_live_dropped_total", "Live chunks dropped because publishing fell behind", ["camera"]
)
# Chunks waiting for the bus; beyond it the relay skips to the next keyframe (about 10 s at 25 fps).
QUEUE_CHUNKS = 256


class LiveRelay:
    """One camera's relay: owns the thread-side ``LiveTap`` and publishes what it makes."""

    def __init__(self, camera: str, bus: Bus) -> None:
        self.camera = camera
        self.tap = LiveTap(camera, self._from_thread)
        self.qualities: frozenset[str] = frozenset()
        self._bus = bus
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Chunk] = asyncio.Queue(QUEUE_CHUNKS)
        self._resync = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._publish_loop(), name=f"live-{self.camera}")

    async def stop(self) -> None:
        self.want(frozenset())
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def want(self, qualities: frozenset[str]) -> None:
        if bool(qualities) != bool(self.qualities):
            LIVE_RELAYS.inc(1 if qualities else -1)
            log.info("live.relay_started" if qualities else "live.relay_stopped", extra={"camera": self.camera})
        self.qualities = qualities
        self.tap.wanted = bool(qualities)

    def _from_thread(self, chunks: list[Chunk]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: shutting down
            self._loop.call_soon_threadsafe(self._enqueue, chunks)

    def _enqueue(self, chunks: list[Chunk]) -> None:
        for chunk in chunks:
            if self._resync and chunk.kind != "init":
                LIVE_DROPPED.labels(self.camera).inc()
                continue
            self._resync = False
            try:
                self._queue.put_nowait(chunk)
            except asyncio.QueueFull:
                # The bus is slower than the camera: a gap, then a clean start at the next keyframe.
                LIVE_DROPPED.labels(self.camera).inc(self._queue.qsize() + 1)
                while not self._queue.empty():
                    self._queue.get_nowait()
                self._resync = True

    async def _publish_loop(self) -> None:
        while True:
            chunk = await self._queue.get()
            headers = LiveHeaders(kind=chunk.kind, keyframe=chunk.keyframe, codec=chunk.codec).to_headers()
            for quality in self.qualities:
                try:
                    await self._bus.publish(subjects.live(self.camera, quality), chunk.data, headers)
                except Exception as exc:
                    LIVE_DROPPED.labels(self.camera).inc()
                    log.debug("live.publish_failed", extra={"camera": self.camera, "error": repr(exc)})
                    continue
                LIVE_BYTES.labels(self.camera).inc(len(chunk.data))


class HasLive(Protocol):
    live: LiveRelay


class LiveDemand:
    """Which (camera, quality) pairs some gateway wants, and until when; applied to this replica's relays."""

    def __init__(self, bus: Bus, runners: Callable[[], Mapping[str, HasLive]], linger_s: float) -> None:
        self._bus = bus
        self._runners = runners
        self._linger_s = linger_s
        self._until: dict[tuple[str, str], float] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-demand")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        await self._bus.wait_ready()
        await self._bus.nc.subscribe(subjects.LIVE_WANT_ALL, cb=self._on_want)
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            self._until = {key: until for key, until in self._until.items() if until > now}
            self.apply()

    async def _on_want(self, msg: Any) -> None:
        parts = msg.subject.split(".")
        if len(parts) != 4 or parts[3] not in subjects.LIVE_QUALITIES:
            return
        camera, quality = parts[2], parts[3]
        self._until[(camera, quality)] = time.monotonic() + self._linger_s
        runner = self._runners().get(camera)
        if runner is not None and quality not in runner.live.qualities:
            self.apply()

    def apply(self) -> None:
        """Tell every relay of this replica what is wanted of it now (a runner just launched included)."""
        wanted: dict[str, set[str]] = {}
        for camera, quality in self._until:
            wanted.setdefault(camera, set()).add(quality)
        for camera, runner in self._runners().items():
            qualities = frozenset(wanted.get(camera, ()))
            if qualities != runner.live.qualities:
                runner.live.want(qualities)
