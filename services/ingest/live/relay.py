"""The event-loop side of the live relay: demand from the gateways, and publishing the chunks.

A gateway with a viewer repeats ``live.want.<camera>.<quality>`` every few seconds; this replica relays
the cameras it owns (it holds their ``StreamWorker``) until ``linger_s`` after the last want, then
stops muxing, so an unwatched camera costs no NATS bandwidth. ``main`` comes from the worker's own
connection. ``sub`` (wall tiles) comes from the camera's substream when it has one: a reader of its own
(live/substream.py) runs while ``sub`` is wanted; without one, the main stream's muxing session feeds
both subjects.

Each of them comes in two videos (shared/subjects.py): ``main`` and ``sub`` redacted (faces and plates
pixelated on a thread of the tap's, live/redacted.py), what every gateway asks for unless its viewer
holds ``footage:raw`` and gave a reason; ``main-raw`` and ``sub-raw`` the camera's own. A feed is named
by the quality it is published as when the camera has a substream; without one, the main stream's
feeds serve the ``sub`` qualities too.
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
from services.ingest.privacy.masks import Masks
from services.ingest.streams.thread import CameraThread
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
# Where chunks come from (the worker's connection, or the substream's), redacted or raw.
MAIN, SUB = "main", "sub"
MAIN_RAW, SUB_RAW = MAIN + subjects.RAW_SUFFIX, SUB + subjects.RAW_SUFFIX
FEEDS = frozenset({MAIN, SUB, MAIN_RAW, SUB_RAW})
# Starts a substream reader feeding the given tap (the camera's URL and tuning are the caller's).
SubstreamStarter = Callable[[LiveTap], CameraThread]


class LiveRelay:
    """One camera's relay: owns the thread-side ``LiveTap`` of the main stream (and, while wanted, the
    substream's reader) and publishes what they make."""

    def __init__(
        self, camera: str, bus: Bus, substream: SubstreamStarter | None = None, privacy_masks: Masks = ()
    ) -> None:
        self.camera = camera
        self.tap = LiveTap(
            camera,
            lambda chunks: self._from_thread(MAIN_RAW, chunks),
            privacy_masks,
            emit_redacted=lambda chunks: self._from_thread(MAIN, chunks),
        )
        self.qualities: frozenset[str] = frozenset()
        self._bus = bus
        self._substream = substream
        self._reader: CameraThread | None = None
        self._reader_tap: LiveTap | None = None
        # Readers started and not yet joined (one being stopped may still be closing its connection).
        self._readers: set[CameraThread] = set()
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[tuple[str, Chunk]] = asyncio.Queue(QUEUE_CHUNKS)
        self._resync: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._publish_loop(), name=f"live-{self.camera}")

    async def stop(self, join_timeout_s: float = 10.0) -> None:
        self.want(frozenset())
        assert self.tap.redacted is not None
        if not await asyncio.to_thread(self.tap.redacted.join, join_timeout_s):
            log.error("live.redaction_stuck", extra={"camera": self.camera, "waited_s": join_timeout_s})
        readers, self._readers = self._readers, set()
        for reader in readers:
            if not await asyncio.to_thread(reader.join, join_timeout_s):
                log.error("live.substream_stuck", extra={"camera": self.camera, "waited_s": join_timeout_s})
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def want(self, qualities: frozenset[str]) -> None:
        if bool(qualities) != bool(self.qualities):
            LIVE_RELAYS.inc(1 if qualities else -1)
            log.info("live.relay_started" if qualities else "live.relay_stopped", extra={"camera": self.camera})
        self.qualities = qualities
        self._feed(self.tap, MAIN, MAIN_RAW)
        if self._substream is not None:
            self._run_substream(bool(qualities & {SUB, SUB_RAW}), self._substream)

    def _feed(self, tap: LiveTap, redacted: str, raw: str) -> None:
        """Start or stop ``tap``'s two videos as the qualities they serve are wanted or not."""
        tap.wanted = bool(self._serves(raw))
        assert tap.redacted is not None
        tap.redacted.want(bool(self._serves(redacted)))

    def _serves(self, feed: str) -> frozenset[str]:
        """The qualities the chunks of ``feed`` are published as now."""
        if self._substream is None and feed == MAIN:
            return self.qualities & {MAIN, SUB}
        if self._substream is None and feed == MAIN_RAW:
            return self.qualities & {MAIN_RAW, SUB_RAW}
        return self.qualities & {feed}

    def _run_substream(self, wanted: bool, starter: SubstreamStarter) -> None:
        if wanted and self._reader is None:
            # A tap per reader: one being stopped still holds its own, which no longer emits.
            tap = LiveTap(
                self.camera,
                lambda chunks: self._from_thread(SUB_RAW, chunks),
                emit_redacted=lambda chunks: self._from_thread(SUB, chunks),
            )
            self._feed(tap, SUB, SUB_RAW)
            self._readers = {r for r in self._readers if not r.join(0)}
            self._reader, self._reader_tap = starter(tap), tap
            self._readers.add(self._reader)
            self._reader.start()
            log.info("live.substream_started", extra={"camera": self.camera})
        elif wanted and self._reader_tap is not None:
            self._feed(self._reader_tap, SUB, SUB_RAW)
        elif not wanted and self._reader is not None:
            self._reader.stop()
            self._reader, self._reader_tap = None, None
            log.info("live.substream_stopped", extra={"camera": self.camera})

    def _from_thread(self, source: str, chunks: list[Chunk]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: shutting down
            self._loop.call_soon_threadsafe(self._enqueue, source, chunks)

    def _enqueue(self, source: str, chunks: list[Chunk]) -> None:
        for chunk in chunks:
            if source in self._resync and chunk.kind != "init":
                LIVE_DROPPED.labels(self.camera).inc()
                continue
            self._resync.discard(source)
            try:
                self._queue.put_nowait((source, chunk))
            except asyncio.QueueFull:
                # The bus is slower than the camera: a gap, then a clean start at the next keyframe.
                LIVE_DROPPED.labels(self.camera).inc(self._queue.qsize() + 1)
                while not self._queue.empty():
                    self._queue.get_nowait()
                self._resync = set(FEEDS)

    async def _publish_loop(self) -> None:
        while True:
            source, chunk = await self._queue.get()
            headers = LiveHeaders(kind=chunk.kind, keyframe=chunk.keyframe, codec=chunk.codec).to_headers()
            for quality in self._serves(source):
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
