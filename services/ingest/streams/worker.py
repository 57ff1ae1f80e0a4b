"""One camera's stream, decoded by PyAV on a dedicated thread.

Decoding runs in a thread, not the event loop: FFmpeg's demux, decode and swscale and OpenCV's JPEG
encoder release the GIL, so camera threads decode in parallel and the loop stays responsive
(measured in bench/bench_ingest.py). Threads rather than processes because a sampled 640-px JPEG
would otherwise cross a process boundary and each process would pay its own interpreter and FFmpeg.
Each stream keeps FFmpeg's default slice threading, not frame threading: frame threads cost 15-20 %
more CPU per frame (measured at 720p and 1080p), and parallelism comes from the cameras themselves.

The thread reports to its owner through ``sink`` (thread-safe by contract); figures that change on
every frame live in ``StreamStats`` and are read by the owner when it needs them.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import simplejpeg

from services.ingest.cameras.urls import UrlPolicy, mask_url, redact, refuse_blocked_target
from services.ingest.live.tap import LiveTap
from services.ingest.privacy.masks import FULL_RANGE_BLACK, Masks, black_out, planes_420
from services.ingest.streams import thread
from services.ingest.streams.metrics import CPU_SECONDS, DECODE_ERRORS, FRAMES_DECODED, RECONNECTS

log = logging.getLogger("cityops.ingest.stream")

# Demuxer options that make an RTSP open take ~0.1 s instead of ~2.8 s (no long stream probing).
RTSP_OPTIONS = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "32768"}
# A stream whose packets keep failing to decode is broken, not merely lossy: reconnect.
MAX_CONSECUTIVE_ERRORS = 200
# AVFMT_NOTIMESTAMPS: the demuxer invents the timestamps it hands out.
_NO_TIMESTAMPS = 0x0080
# The picture a frozen check compares: the sampled luma averaged into this grid of blocks (columns, rows).
PICTURE_GRID = (64, 36)


def invents_timestamps(container: av.container.InputContainer) -> bool:
    """Whether the source carries no timestamps of its own (HTTP MJPEG): FFmpeg then numbers its
    frames at a made-up 25 fps, so a 10 fps camera would look 2.5 times faster than it is."""
    return bool(container.format.flags & _NO_TIMESTAMPS)


@dataclass(frozen=True)
class StreamConfig:
    camera: str
    url: str
    sampling_fps: float
    output_width: int
    revision: int
    # The low-resolution stream wall tiles show (live/substream.py), if the camera has one.
    substream_url: str | None = None
    # Sent with every frame: analytics chooses the camera's detector by it.
    category: str | None = None
    # Where the camera is (registry ward and tags): carried on its status messages so that analytics can
    # group cameras failing together into one outage. Not part of the stream: a change needs no restart.
    ward: str | None = None
    tags: tuple[str, ...] = ()
    # Blacked out in every frame before it is encoded (privacy/masks.py); a change restarts the worker.
    privacy_masks: Masks = ()


@dataclass(frozen=True)
class Tuning:
    open_timeout_s: float = 5.0
    stall_s: float = 5.0
    backoff_min_s: float = 0.5
    backoff_max_s: float = 5.0
    healthy_reset_s: float = 60.0
    jpeg_quality: int = 80
    keyframes_only_max_fps: float = 0.5
    skip_loop_filter: bool = True
    # Checked before every connection (the supervisor passes the deployment's); None for footage that a
    # test or a benchmark opens itself.
    url_policy: UrlPolicy | None = None
    # Health: a status holds ``status_debounce_s`` before it is reported; a picture whose blocks all stay
    # within ``frozen_threshold`` grey levels of the last change for ``frozen_after_s`` is frozen.
    status_debounce_s: float = 10.0
    frozen_after_s: float = 30.0
    frozen_threshold: float = 3.0


@dataclass(frozen=True)
class Connected:
    codec: str
    width: int
    height: int


@dataclass(frozen=True)
class Sample:
    jpeg: bytes
    seq: int
    pts: float | None
    captured_at: datetime
    width: int
    height: int


@dataclass(frozen=True)
class Failed:
    reason: str
    retry_in_s: float


@dataclass(frozen=True)
class ResolutionChanged:
    width: int
    height: int


StreamEvent = Connected | Sample | Failed | ResolutionChanged


@dataclass
class StreamStats:
    """Written by the stream thread, read by the owner (single attribute reads are atomic)."""

    decoded: int = 0
    decode_errors: int = 0
    reconnects: int = 0
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    codec: str | None = None
    last_frame_at: datetime | None = None
    # When the sampled picture last changed (frozen check); kept across reconnects.
    picture_changed_at: datetime | None = None
    cpu_s: float = 0.0
    _arrivals: deque[float] = field(default_factory=lambda: deque(maxlen=64))

    def frame_arrived(self, at: float) -> None:
        self._arrivals.append(at)
        window = self._arrivals[-1] - self._arrivals[0]
        if len(self._arrivals) >= 2 and window > 0:
            self.fps = round((len(self._arrivals) - 1) / window, 2)


# Where the stream threads' loops leave on ``stop()`` (re-exported: the benchmark stops a worker with it).
StreamStopped = thread.StreamStopped


class Stalled(Exception):
    pass


def describe(exc: BaseException, tuning: Tuning, url: str) -> str:
    """The reason a client is shown: never the credentials of ``url``, even when FFmpeg echoes them."""
    if isinstance(exc, Stalled):
        return str(exc)
    if isinstance(exc, av.error.ExitError):
        # PyAV's open/read timeouts interrupt FFmpeg, which reports them as an "immediate exit".
        return f"stalled: no answer or no data for {tuning.stall_s:g} s"
    return redact(f"{type(exc).__name__}: {exc}", url)


def open_stream(url: str, tuning: Tuning) -> av.container.InputContainer:
    """Open a camera URL for demuxing (after the URL policy's check, when the tuning carries one)."""
    if tuning.url_policy is not None:
        refuse_blocked_target(url, tuning.url_policy)
    options: dict[str, str] = {}
    if url.startswith(("rtsp://", "rtsps://")):
        options = dict(RTSP_OPTIONS)
    elif url.startswith(("http://", "https://")):
        options = {"reconnect": "0"}
    elif url.startswith("file://"):
        url = url.removeprefix("file://")
    return av.open(url, options=options, timeout=(tuning.open_timeout_s, tuning.stall_s))


def output_size(width: int, height: int, output_width: int) -> tuple[int, int]:
    """Downscale to ``output_width`` (never upscale), keeping the aspect ratio and even sizes."""
    out_w = min(output_width, width) & ~1
    out_h = max(2, round(height * out_w / width / 2) * 2)
    return out_w, out_h


class StreamWorker(thread.CameraThread):
    """Open, decode, sample, reconnect — until ``stop()``; never raises out of its thread."""

    def __init__(self, config: StreamConfig, tuning: Tuning, sink: Callable[[StreamEvent], None]) -> None:
        super().__init__(f"stream-{config.camera}")
        self.config = config
        self.tuning = tuning
        self.stats = StreamStats()
        self._sink = sink
        self._is_file = config.url.startswith("file://")
        self._period = 1.0 / config.sampling_fps
        self.keyframes_only = 0 < config.sampling_fps <= tuning.keyframes_only_max_fps
        self._seq = 0
        self._cpu_mark = 0.0
        self._picture: npt.NDArray[np.float32] | None = None
        # The live relay rides on this connection (live/tap.py); set by the owner before start().
        self.live: LiveTap | None = None

    def _run(self) -> None:
        attempt = 0
        self._cpu_mark = time.thread_time()
        while not self._stop.is_set():
            online_since: list[float] = []
            try:
                self._session(online_since)
                if self._is_file and online_since:
                    attempt = 0
                    continue  # recorded footage loops like a camera that never ends
                reason = "stream ended" if online_since else "stream ended before its first frame"
            except StreamStopped:
                break
            except Exception as exc:
                reason = describe(exc, self.tuning, self.config.url)
            if self._stop.is_set():
                break
            if online_since and time.monotonic() - online_since[0] >= self.tuning.healthy_reset_s:
                attempt = 0
            delay = thread.backoff_delay(attempt, self.tuning.backoff_min_s, self.tuning.backoff_max_s)
            attempt += 1
            self.stats.reconnects += 1
            RECONNECTS.labels(self.config.camera).inc()
            self._sink(Failed(reason, round(delay, 2)))
            self._stop.wait(delay)
        self._account_cpu()

    def _open(self) -> av.container.InputContainer:
        return open_stream(self.config.url, self.tuning)

    def _session(self, online_since: list[float]) -> None:
        """One connection: returns at end of stream, raises on failure or stall."""
        container = self._open()
        try:
            if not container.streams.video:
                raise RuntimeError("no video stream")
            stream = container.streams.video[0]
            ctx = stream.codec_context
            if self.live is not None:
                self.live.open(stream)
            if self.keyframes_only:
                ctx.skip_frame = "NONKEY"
            if self.tuning.skip_loop_filter:
                ctx.options = {"skip_loop_filter": "all"}
            # Without a clock of its own the source is sampled on arrival time, and its frames have no pts.
            source_clock = not invents_timestamps(container)
            last_frame = time.monotonic()
            next_due: float | None = None
            consecutive_errors = 0
            clock_origin: tuple[float, float] | None = None
            for packet in container.demux(stream):
                if self._stop.is_set():
                    raise StreamStopped
                if packet.is_corrupt:
                    self._count_error()
                if self.live is not None:
                    self.live.packet(packet)
                    if self.keyframes_only:
                        # A transcoded live view (another codec, privacy masks) needs every frame while
                        # watched; sampling alone needs only keyframes.
                        ctx.skip_frame = "DEFAULT" if self.live.needs_frames else "NONKEY"
                try:
                    frames = packet.decode()
                    consecutive_errors = 0
                except (av.error.InvalidDataError, av.error.EOFError, av.error.UndefinedError) as exc:
                    self._count_error()
                    consecutive_errors += 1
                    if consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
                        raise RuntimeError(f"{consecutive_errors} undecodable packets in a row") from exc
                    continue
                now = time.monotonic()
                for frame in frames:
                    if not online_since:
                        online_since.append(now)
                        self.stats.codec = ctx.name
                        self.stats.width, self.stats.height = frame.width, frame.height
                        self._sink(Connected(ctx.name, frame.width, frame.height))
                    if self.live is not None:
                        self.live.frame(frame)
                    if self._is_file:
                        clock_origin = self._keep_pace(frame.time, clock_origin)
                    next_due = self._on_frame(frame, frame.time if source_clock else None, next_due)
                    last_frame = time.monotonic()
                if now - last_frame > self.tuning.stall_s:
                    raise Stalled(f"stalled: packets but no decodable frame for {self.tuning.stall_s:g} s")
        finally:
            if self.live is not None:
                self.live.close()
            container.close()
            self._account_cpu()

    def _count_error(self) -> None:
        self.stats.decode_errors += 1
        DECODE_ERRORS.labels(self.config.camera).inc()

    def _on_frame(self, frame: av.VideoFrame, pts: float | None, next_due: float | None) -> float | None:
        """Publish ``frame`` if it is due; the time the next one is due."""
        now = time.monotonic()
        stats = self.stats
        stats.decoded += 1
        stats.frame_arrived(now)
        stats.last_frame_at = datetime.now(UTC)
        FRAMES_DECODED.labels(self.config.camera).inc()
        if (frame.width, frame.height) != (stats.width, stats.height):
            stats.width, stats.height = frame.width, frame.height
            self._sink(ResolutionChanged(frame.width, frame.height))
        # Sample on the source clock when there is one, so a jittery network does not skew the rate.
        t = pts if pts is not None else now
        if next_due is not None and next_due - 10 * self._period < t < next_due - self._period * 0.1:
            return next_due
        self._emit(frame, pts)
        if stats.decoded % 50 == 0:
            self._account_cpu()
        if next_due is None or not (next_due - 10 * self._period < t <= next_due + self._period):
            return t + self._period  # first frame, or the source clock jumped (reconnect, loop)
        return next_due + self._period

    def _emit(self, frame: av.VideoFrame, pts: float | None) -> None:
        captured_at = datetime.now(UTC)
        width, height = output_size(frame.width, frame.height, self.config.output_width)
        # One swscale pass downscales straight to JPEG's own full-range BT.601 4:2:0, which libjpeg-turbo
        # encodes as is: no RGB round trip at full size, nor inside the JPEG encoder.
        small = frame.reformat(
            width=width, height=height, format="yuvj420p", dst_colorspace="ITU601", interpolation="AREA"
        )
        y, u, v = planes_420(small.to_ndarray(), width, height)
        black_out(y, u, v, self.config.privacy_masks, black=FULL_RANGE_BLACK)
        self._watch_picture(y, captured_at)
        jpeg = simplejpeg.encode_jpeg_yuv_planes(y, u, v, quality=self.tuning.jpeg_quality)
        self._seq += 1
        self._sink(Sample(jpeg, self._seq, pts, captured_at, width, height))

    def _watch_picture(self, luma: npt.NDArray[Any], at: datetime) -> None:
        """Note when the picture changed. Block means of the already downscaled luma (one pass over a
        640-px frame, well under a millisecond): sensor noise averages out within a block, while a
        moving object or a camera's clock overlay moves some block by several grey levels."""
        cols, rows = PICTURE_GRID
        bh, bw = max(1, luma.shape[0] // rows), max(1, luma.shape[1] // cols)
        rows, cols = luma.shape[0] // bh, luma.shape[1] // bw
        blocks = luma[: rows * bh, : cols * bw].reshape(rows, bh, cols, bw).mean(axis=(1, 3), dtype=np.float32)
        reference = self._picture
        if (
            reference is None
            or reference.shape != blocks.shape
            or float(np.abs(blocks - reference).max()) > self.tuning.frozen_threshold
        ):
            # Compared with the picture at the last change, not the previous frame: a slow drift adds up.
            self._picture = blocks
            self.stats.picture_changed_at = at

    def _account_cpu(self) -> None:
        mark = time.thread_time()
        spent = mark - self._cpu_mark
        self._cpu_mark = mark
        self.stats.cpu_s += spent
        CPU_SECONDS.labels(self.config.camera).inc(spent)

    def __repr__(self) -> str:
        return f"StreamWorker({self.config.camera}, {mask_url(self.config.url)})"
