"""A tap's redacted live video: faces and plates pixelated, made on a thread of its own.

Detection costs about 0.15-0.3 s of CPU a frame: on the stream thread it would stall the camera's demux
and decode (and so its sampling, recording's timestamps and the raw viewers). So the stream thread only
scales each decoded frame to tile size and offers it to a bounded queue; a thread per watched camera
(started when the redacted video is wanted, stopped when it no longer is) masks it, redacts it
(``SampledRedaction``: a detection every ``EVERY_S``, boxes interpolated between) and encodes it to
H.264 fMP4. One such encode per camera and source serves every viewer without ``footage:raw``, as the
raw relay does. When the thread falls behind (a busy core), the queue is full and the stream thread drops
the frame instead of waiting or growing memory (``cityops_ingest_live_redaction_dropped_total``): the
tile's frame rate falls, nothing is shown unredacted.

The interval is the clips' ``EVERY_S`` (0.5 s), and the face network sees the tile enlarged by
``DETECT_SCALE``. Measured by bench_redaction on vtest's first 20 s at 640x480 (annotated heads of which
most pixels were changed, on every frame; CPU seconds of redaction per second of video): every 0.5 s at
the tile's size 0.82 of 98 heads at 0.74 CPU s; every 0.25 s 0.84 at 1.32; every 0.5 s enlarged 1.2x
(the camera's own 768 px) 0.92 at 0.90. Enlarging buys more than detecting more often: CCTV heads shrunk
to tile size fall under what CenterFace finds. Every 1 s (0.71 over 30 s) saves CPU by leaking heads.
Frames leave about ``EVERY_S`` plus one detection late.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from fractions import Fraction

import av
from prometheus_client import Counter

from services.ingest.live.fmp4 import Chunk, Fmp4Muxer
from services.ingest.privacy.masks import Masks, masked_frame
from services.ingest.privacy.redact import Redactor
from services.ingest.privacy.sampled import EVERY_S, SampledRedaction

log = logging.getLogger("cityops.ingest.live")

REDACTION_DROPPED = Counter(
    "cityops_ingest_live_redaction_dropped_total",
    "Decoded frames the redacted live video skipped because its redaction thread fell behind",
    ["camera"],
)
REDACTED_FRAMES = Counter(
    "cityops_ingest_live_redacted_frames_total", "Frames of redacted live video encoded", ["camera"]
)
# Frames waiting for the redaction thread: a detection stalls it for one detection's time (0.3 s, about
# 1 s on a contended core), 25 frames at 25 fps; twice that absorbs it. About 15 MB at 640x480.
QUEUE_FRAMES = 32
# The face network's input is the tile enlarged this much: 640 px tiles to the 768 px FACE_THRESHOLD was
# tuned at (module docstring: 0.92 of the heads against 0.82, for 20 % more CPU).
DETECT_SCALE = 1.2
# Tile width of the H.264 made from decoded frames: enough for a wall tile and a single view alike,
# and about 5 ms of x264 ultrafast per frame.
TILE_MAX_WIDTH = 640
TILE_GOP = 20
TILE_TIME_BASE = Fraction(1, 90_000)


def tile_size(width: int, height: int) -> tuple[int, int]:
    """A picture's size scaled down to tile width (even, for 4:2:0), its aspect kept."""
    tile = min(TILE_MAX_WIDTH, width) & ~1
    return tile, max(2, round(height * tile / width / 2) * 2)


def tile_frame(frame: av.VideoFrame, size: tuple[int, int] | None = None) -> av.VideoFrame:
    """``frame`` at tile size (or ``size``), 4:2:0, its time in ``TILE_TIME_BASE``."""
    width, height = size or tile_size(frame.width, frame.height)
    small = frame.reformat(width=width, height=height, format="yuv420p")
    small.pts, small.time_base = round((frame.time or 0.0) / TILE_TIME_BASE), TILE_TIME_BASE
    return small


class _Run:
    """One wanted period: its queue and thread (a run being stopped never takes a new run's frames)."""

    def __init__(self, camera: str, target: Callable[[_Run], None]) -> None:
        self.frames: queue.Queue[av.VideoFrame] = queue.Queue(QUEUE_FRAMES)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=target, args=(self,), name=f"redact-{camera}", daemon=True)


class RedactedFeed:
    """Offer decoded frames (stream thread); redacted fMP4 chunks leave through ``emit`` (from the
    redaction thread: thread-safe by contract). ``want`` is called from the event loop."""

    def __init__(
        self,
        camera: str,
        emit: Callable[[list[Chunk]], None],
        privacy_masks: Masks = (),
        *,
        every_s: float = EVERY_S,
        make_redactor: Callable[[], Redactor] = lambda: Redactor(scale=DETECT_SCALE),
    ) -> None:
        self.camera = camera
        self.privacy_masks = privacy_masks
        self._emit = emit
        self._every_s = every_s
        self._make_redactor = make_redactor
        # Written by the event loop, read by the stream thread (a single attribute: atomic).
        self._run: _Run | None = None
        # Runs told to stop whose thread may still finish a detection.
        self._stopping: list[_Run] = []

    @property
    def wanted(self) -> bool:
        return self._run is not None

    def want(self, wanted: bool) -> None:
        if wanted and self._run is None:
            run = _Run(self.camera, self._redact)
            run.thread.start()
            self._run = run
        elif not wanted and self._run is not None:
            self._run.stopped.set()
            self._stopping = [r for r in self._stopping if r.thread.is_alive()] + [self._run]
            self._run = None

    def join(self, timeout: float) -> bool:
        """Wait (blocking) for the threads of the runs stopped so far; whether they have all ended (an
        onnxruntime session torn down at exit under a running detection aborts the process)."""
        for run in self._stopping:
            run.thread.join(timeout)
        self._stopping = [r for r in self._stopping if r.thread.is_alive()]
        return not self._stopping

    def offer(self, frame: av.VideoFrame) -> None:
        """A decoded frame of the stream (stream thread): queued at tile size, or dropped when the queue is full."""
        run = self._run
        if run is None or frame.time is None:
            return
        try:
            run.frames.put_nowait(tile_frame(frame))
        except queue.Full:
            REDACTION_DROPPED.labels(self.camera).inc()

    def _redact(self, run: _Run) -> None:
        try:
            self._loop(run)
        except Exception:
            # Never a silent raw fallback: without this thread the redacted viewers get nothing.
            log.exception("live.redaction_failed", extra={"camera": self.camera})
        log.info("live.redaction_stopped", extra={"camera": self.camera})

    def _loop(self, run: _Run) -> None:
        sampled = SampledRedaction(self._make_redactor(), self._every_s)
        encoder = _Encoder(self.camera)
        log.info("live.redaction_started", extra={"camera": self.camera, "every_s": self._every_s})
        try:
            while not run.stopped.is_set():
                try:
                    frame = run.frames.get(timeout=0.5)
                except queue.Empty:
                    continue
                at = float(frame.time or 0.0)
                if self.privacy_masks:  # masks first: redaction sees (and leaks) nothing they hide
                    pts = frame.pts
                    frame = masked_frame(frame, self.privacy_masks)
                    frame.pts, frame.time_base = pts, TILE_TIME_BASE
                for out in sampled.push(frame, at):
                    if run.stopped.is_set():
                        return
                    chunks = encoder.encode(out)
                    if chunks:
                        self._emit(chunks)
        finally:
            encoder.close()


class _Encoder:
    """Redacted frames to H.264 fMP4 at their own size; a time going back (the camera reconnected, a
    file looped) or a failed step starts a new muxing session, whose first chunk is an init."""

    def __init__(self, camera: str) -> None:
        self.camera = camera
        self._muxer: Fmp4Muxer | None = None
        self._last_pts: int | None = None

    def encode(self, frame: av.VideoFrame) -> list[Chunk]:
        pts = frame.pts if frame.pts is not None else 0
        muxer = self._muxer
        if muxer is not None and (
            (self._last_pts is not None and pts <= self._last_pts)
            or (muxer.width, muxer.height) != (frame.width, frame.height)
        ):
            self.close()
            muxer = None
        self._last_pts = pts
        try:
            if muxer is None:
                muxer = self._muxer = Fmp4Muxer.transcoding(frame.width, frame.height, TILE_GOP)
            chunks = muxer.encode(frame)
        except (av.error.FFmpegError, ValueError) as exc:
            log.warning("live.mux_failed", extra={"camera": self.camera, "error": f"{type(exc).__name__}: {exc}"})
            self.close()
            return []
        REDACTED_FRAMES.labels(self.camera).inc()
        return chunks

    def close(self) -> None:
        if self._muxer is not None:
            self._muxer.close()
            self._muxer = None
        self._last_pts = None
