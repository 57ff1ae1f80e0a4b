"""The event-loop side of one camera: status transitions, frame publishing, snapshots.

Status is honest and steady: what the stream shows (the observed condition: online, offline, frozen)
becomes the reported status only once it has held for ``status_debounce_s``, counted from when the
condition began (the last frame, for a silent stream). A looping clip's reconnect or a one-second
stall changes nothing; a dead camera still reads offline ``status_debounce_s`` after its last frame.
The first verdict after start (leaving ``connecting``) and administrative ones (``disabled``, a
replica stopping) are reported at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from services.ingest.live.relay import LiveRelay, SubstreamStarter
from services.ingest.live.substream import SubstreamReader
from services.ingest.live.tap import LiveTap
from services.ingest.streams.metrics import (
    FRAMES_DROPPED,
    FRAMES_PUBLISHED,
    LAG_SECONDS,
    ONLINE,
    STATUS_SUPPRESSED,
    STATUS_TRANSITIONS,
)
from services.ingest.streams.worker import (
    Connected,
    Failed,
    ResolutionChanged,
    Sample,
    StreamConfig,
    StreamEvent,
    StreamWorker,
    Tuning,
)
from shared import subjects
from shared.bus import Bus
from shared.messages import CameraState, CameraStatusChanged, FrameHeaders

log = logging.getLogger("cityops.ingest.camera")
# How long a stopping camera waits for its last status and snapshot writes.
BACKGROUND_GRACE_S = 1.0


class CameraRunner:
    """Owns a ``StreamWorker`` thread and turns its events into bus messages and status."""

    def __init__(
        self,
        config: StreamConfig,
        tuning: Tuning,
        bus: Bus,
        *,
        owner: str,
        snapshot_interval_s: float,
        on_status: Callable[[CameraRunner], None],
        worker_type: type[StreamWorker] = StreamWorker,
    ) -> None:
        self.config = config
        self.owner = owner
        self.state: CameraState = "connecting"
        self.reason: str | None = "opening stream"
        self.since = datetime.now(UTC)
        self._bus = bus
        self._tuning = tuning
        self._snapshot_interval_s = snapshot_interval_s
        self._on_status = on_status
        self._loop = asyncio.get_running_loop()
        self.worker = worker_type(config, tuning, self._from_thread)
        # Live fMP4 for browsers, muxed from this worker's packets (and the substream's, for wall tiles)
        # while a gateway wants it. A camera with privacy masks is transcoded from its masked frames
        # instead, and its substream is not used: its packets would show what the masks hide.
        masks = config.privacy_masks
        self.live = LiveRelay(config.camera, bus, None if masks else self._substream_starter(), masks)
        self.worker.live = self.live.tap
        self._latest: Sample | None = None
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[Any]] = set()
        self._last_snapshot = 0.0
        # Offline because the watchdog saw no progress (not because the thread gave up).
        self._stalled = False
        # The condition the stream shows now and since when; ``state`` follows it once it has held.
        self._observed: CameraState = self.state
        self._observed_reason: str | None = self.reason
        self._observed_since = self.since
        self._settle_timer: asyncio.TimerHandle | None = None

    @property
    def camera(self) -> str:
        return self.config.camera

    def _substream_starter(self) -> SubstreamStarter | None:
        url = self.config.substream_url
        if url is None:
            return None

        def start(tap: LiveTap) -> SubstreamReader:
            return SubstreamReader(self.camera, url, self._tuning, tap)

        return start

    def start(self) -> None:
        log.info("camera.starting", extra={"camera": self.camera, "revision": self.config.revision})
        self._tasks = [
            asyncio.create_task(self._publish_loop(), name=f"publish-{self.camera}"),
            asyncio.create_task(self._watchdog(), name=f"watchdog-{self.camera}"),
        ]
        self._announce(None)
        self.live.start()
        self.worker.start()

    async def stop(self, final: CameraState | None = None, reason: str | None = None) -> None:
        """Stop the thread and wait for it (so no camera is ever decoded twice), then report ``final``."""
        self.worker.stop()
        budget = self._tuning.open_timeout_s + self._tuning.stall_s + 2
        if not await asyncio.to_thread(self.worker.join, budget):
            log.error("camera.worker_stuck", extra={"camera": self.camera, "waited_s": budget})
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._settle_timer is not None:
            self._settle_timer.cancel()
        await self.live.stop(budget)
        ONLINE.labels(self.camera).set(0)
        if final is not None:
            self._transition(final, reason)
        if self._background:
            # The last status and snapshot writes get a moment; a snapshot put waits out JetStream's
            # own timeout when NATS is gone, and a shutdown must not wait for that.
            _, late = await asyncio.wait(set(self._background), timeout=BACKGROUND_GRACE_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        log.info("camera.stopped", extra={"camera": self.camera, "reason": reason})

    def _stream_figures(self) -> dict[str, Any]:
        """What the worker measured, under the names both the status row and the status message use."""
        stats = self.worker.stats
        return {name: getattr(stats, name) for name in ("last_frame_at", "width", "height", "codec", "reconnects")}

    def status_fields(self) -> dict[str, Any]:
        stats = self.worker.stats
        return {
            "status": self.state,
            "reason": self.reason,
            "since": self.since,
            "fps": stats.fps if self.state in ("online", "frozen") else None,
            "decode_errors": stats.decode_errors,
            "owner": self.owner,
            **self._stream_figures(),
        }

    def _from_thread(self, event: StreamEvent) -> None:
        try:
            self._loop.call_soon_threadsafe(self._handle, event)
        except RuntimeError:
            self.worker.stop()  # the loop is gone: the service is shutting down

    def _handle(self, event: StreamEvent) -> None:
        if isinstance(event, Sample):
            if self._latest is not None:
                FRAMES_DROPPED.labels(self.camera).inc()
            self._latest = event
            self._wake.set()
        elif isinstance(event, Connected):
            self._stalled = False
            self._observe("online", None)
            log.info(
                "camera.stream_opened",
                extra={
                    "camera": self.camera,
                    "codec": event.codec,
                    "width": event.width,
                    "height": event.height,
                },
            )
        elif isinstance(event, Failed):
            self._stalled = False
            log.warning(
                "camera.stream_failed",
                extra={"camera": self.camera, "reason": event.reason, "retry_in_s": event.retry_in_s},
            )
            self._observe("offline", event.reason, self._silent_since())
        elif isinstance(event, ResolutionChanged):
            log.info(
                "camera.resolution_changed",
                extra={"camera": self.camera, "width": event.width, "height": event.height},
            )

    async def _watchdog(self) -> None:
        """Report a silent stream offline on our own clock, whatever FFmpeg's read timeout does.

        FFmpeg's RTSP demuxer gives up on a silent connection only after about twice its read timeout,
        and hands out one leftover frame at the first one; so the test is progress, not the last frame:
        at most one frame over the window means stalled.
        """
        history: deque[tuple[float, int]] = deque()
        while True:
            await asyncio.sleep(1.0)
            now, stats = time.monotonic(), self.worker.stats
            window = self._tuning.stall_s
            if self.worker.keyframes_only and stats.fps:
                # One frame per GOP is normal there: allow three of them.
                window = max(window, 3 / stats.fps)
            history.append((now, stats.decoded))
            while len(history) > 1 and now - history[1][0] >= window:
                history.popleft()
            since, decoded = history[0]
            delivering = self._observed in ("online", "frozen")
            if delivering and now - since >= window and stats.decoded - decoded <= 1:
                self._stalled = True
                # Progress stopped a window ago (FFmpeg may still hand out one leftover frame since).
                silent = datetime.now(UTC) - timedelta(seconds=window)
                self._observe("offline", f"stalled: no frames for {window:g} s", max(silent, self._observed_since))
            elif self._stalled and len(history) > 1 and stats.decoded - history[-2][1] >= 2:
                self._stalled = False  # the same connection delivers again
                self._observe("online", None)
            elif delivering:
                self._check_frozen()

    def _check_frozen(self) -> None:
        """Frames arrive: frozen once the picture has not changed for ``frozen_after_s``."""
        changed = self.worker.stats.picture_changed_at
        if changed is None:
            return
        after = self._tuning.frozen_after_s
        if (datetime.now(UTC) - changed).total_seconds() >= after:
            # The condition began at the last change, so it is reported as soon as it is seen.
            self._observe("frozen", f"frozen: picture unchanged for {after:g} s while frames arrive", changed)
        elif self._observed == "frozen":
            self._observe("online", None, changed)

    def _silent_since(self) -> datetime:
        """When the stream went silent: its last frame (not before the current condition began)."""
        last = self.worker.stats.last_frame_at
        return max(last, self._observed_since) if last is not None else datetime.now(UTC)

    def _observe(self, state: CameraState, reason: str | None, since: datetime | None = None) -> None:
        """The stream shows ``state`` (since ``since``, default now): report it once it has held."""
        now = datetime.now(UTC)
        if state != self._observed:
            if self._observed != self.state:
                STATUS_SUPPRESSED.inc()  # a condition that did not hold long enough: no flap
            self._observed, self._observed_since = state, min(since or now, now)
        self._observed_reason = reason
        self._settle()

    def _settle(self) -> None:
        if self._settle_timer is not None:
            self._settle_timer.cancel()
            self._settle_timer = None
        if self._observed == self.state:
            self.reason = self._observed_reason
            return
        held = (datetime.now(UTC) - self._observed_since).total_seconds()
        wait = self._tuning.status_debounce_s - held
        if self.state == "connecting" or wait <= 0:
            self._transition(self._observed, self._observed_reason)
        else:
            self._settle_timer = self._loop.call_later(wait, self._settle)

    def _transition(self, state: CameraState, reason: str | None) -> None:
        if state == self.state:
            self.reason = reason
            return
        previous, self.state, self.reason = self.state, state, reason
        self.since = datetime.now(UTC)
        STATUS_TRANSITIONS.labels(previous, state).inc()
        ONLINE.labels(self.camera).set(1 if state == "online" else 0)
        log.info(f"camera.{state}", extra={"camera": self.camera, "previous": previous, "reason": reason})
        self._announce(previous)

    def _announce(self, previous: CameraState | None) -> None:
        message = CameraStatusChanged(
            camera=self.camera,
            status=self.state,
            previous=previous,
            reason=self.reason,
            at=self.since,
            fps=self.worker.stats.fps,
            ward=self.config.ward,
            tags=list(self.config.tags),
            **self._stream_figures(),
        )
        self._spawn(self._publish_status(message))
        self._on_status(self)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _publish_status(self, message: CameraStatusChanged) -> None:
        try:
            await self._bus.publish(subjects.camera_status(self.camera), message.to_bytes())
        except Exception as exc:
            log.warning("camera.status_publish_failed", extra={"camera": self.camera, "error": repr(exc)})

    async def _publish_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            sample, self._latest = self._latest, None
            if sample is None:
                continue
            headers = FrameHeaders(
                camera=self.camera,
                seq=sample.seq,
                pts=sample.pts,
                captured_at=sample.captured_at,
                width=sample.width,
                height=sample.height,
                category=self.config.category,
            )
            try:
                await self._bus.publish(subjects.frames(self.camera), sample.jpeg, headers.to_headers())
            except Exception as exc:
                FRAMES_DROPPED.labels(self.camera).inc()
                log.debug("camera.frame_publish_failed", extra={"camera": self.camera, "error": repr(exc)})
                continue
            FRAMES_PUBLISHED.labels(self.camera).inc()
            LAG_SECONDS.labels(self.camera).set((datetime.now(UTC) - sample.captured_at).total_seconds())
            if time.monotonic() - self._last_snapshot >= self._snapshot_interval_s:
                self._last_snapshot = time.monotonic()
                self._spawn(self._store_snapshot(sample.jpeg))

    async def _store_snapshot(self, jpeg: bytes) -> None:
        try:
            await self._bus.kv(subjects.SNAPSHOTS).put(self.camera, jpeg)
        except Exception as exc:
            log.warning("camera.snapshot_failed", extra={"camera": self.camera, "error": repr(exc)})
