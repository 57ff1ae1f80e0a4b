"""One thread per recorded camera: remux the camera's compressed packets into segments, never decode;
a camera with privacy masks is decoded, masked and re-encoded instead (H.264), the price of a mask.

Segments are fragmented MP4 (``frag_keyframe+empty_moov``), cut on keyframes once ``segment_s`` has
passed, so a file interrupted by a dropped stream or a killed process stays playable up to its last
fragment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.container
import av.stream

from services.ingest.cameras.urls import UrlPolicy, redact, refuse_blocked_target
from services.ingest.privacy.masks import Masks, masked_frame
from services.ingest.recording.store import SegmentStore
from services.ingest.streams.thread import CameraThread, backoff_delay
from services.ingest.streams.worker import RTSP_OPTIONS, invents_timestamps

log = logging.getLogger("cityops.ingest.recording")
FRAGMENTED_MP4 = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}


# Masked recordings: fast enough for a core to carry several cameras; quality close to the source's.
MASKED_ENCODER = {"preset": "veryfast", "crf": "23"}


@dataclass(frozen=True)
class RecordSource:
    """What a recorder records: a change of either restarts it."""

    url: str
    privacy_masks: Masks = ()


@dataclass(frozen=True)
class SegmentClosed:
    camera: str
    path: str  # relative to the recordings root (store.py)
    start_at: datetime
    end_at: datetime
    bytes: int
    codec: str


class _ArrivalClock:
    """Stamps the packets of a source without timestamps (HTTP MJPEG) with their arrival time:
    milliseconds since the connection opened keep its recording at the camera's real pace."""

    TIME_BASE = Fraction(1, 1000)

    def __init__(self) -> None:
        self._origin = time.monotonic()
        self._last = -1

    def stamp(self, packet: av.Packet[Any]) -> None:
        # Two packets in one millisecond still need increasing timestamps for the muxer.
        self._last = max(round((time.monotonic() - self._origin) * 1000), self._last + 1)
        packet.time_base = self.TIME_BASE
        packet.dts = packet.pts = self._last


class _Segment:
    def __init__(
        self,
        path: Path,
        template: av.stream.Stream,
        first_dts: int,
        start_at: datetime,
        time_base: Fraction | None = None,
        encode: bool = False,
    ) -> None:
        self.path = path
        self.container = av.open(str(path), "w", format="mp4", options=FRAGMENTED_MP4)
        if encode:
            # Its own encoder per segment: each file starts on a keyframe and plays alone.
            ctx = template.codec_context
            assert isinstance(ctx, av.VideoCodecContext)
            video = self.container.add_stream("libx264", rate=template.average_rate or 25, options=MASKED_ENCODER)
            video.width, video.height, video.pix_fmt = ctx.width, ctx.height, "yuv420p"
            video.time_base = time_base or template.time_base
            self.stream: av.stream.Stream = video
        else:
            self.stream = self.container.add_stream_from_template(template)
        self.encoding = encode
        if time_base is not None:
            self.stream.time_base = time_base
        self.first_dts = first_dts
        self.last_ts = first_dts
        self.last_dts = first_dts
        self.time_base: Fraction = time_base or template.time_base or Fraction(1, 90_000)
        self.start_at = start_at

    def seconds(self) -> float:
        return float((self.last_ts - self.first_dts) * self.time_base)


class SegmentRecorder(CameraThread):
    def __init__(
        self,
        camera: str,
        url: str,
        store: SegmentStore,
        *,
        segment_s: float,
        open_timeout_s: float,
        read_timeout_s: float,
        on_segment: Callable[[SegmentClosed], None],
        realtime: bool = True,
        url_policy: UrlPolicy | None = None,
        privacy_masks: Masks = (),
    ) -> None:
        """``url_policy`` is checked before every connection (None: footage a test or benchmark opens)."""
        super().__init__(f"record-{camera}")
        self.camera = camera
        self.source = RecordSource(url, privacy_masks)
        self.url = url
        self.privacy_masks = privacy_masks
        self._masked = bool(privacy_masks)
        self._store = store
        self._segment_s = segment_s
        self._timeouts = (open_timeout_s, read_timeout_s)
        self._on_segment = on_segment
        self._realtime = realtime
        self._url_policy = url_policy
        self.bytes_written = 0
        self.cpu_seconds = 0.0

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            started = time.monotonic()
            cpu0 = time.thread_time()
            try:
                self._session()
            except (av.FFmpegError, OSError, ValueError) as exc:
                # FFmpeg's messages echo the URL: its secrets go before the cut, which could split them.
                error = redact(f"{type(exc).__name__}: {exc}", self.url)[:300]
                log.warning("recording.stream_failed", extra={"camera": self.camera, "error": error})
            finally:
                self.cpu_seconds += time.thread_time() - cpu0
            attempt = 0 if time.monotonic() - started > 60 else attempt + 1
            self._stop.wait(backoff_delay(attempt, 0.5, 10.0))

    def _open(self) -> av.container.InputContainer:
        if self._url_policy is not None:
            refuse_blocked_target(self.url, self._url_policy)
        options = dict(RTSP_OPTIONS) if self.url.startswith("rtsp") else {}
        return av.open(self.url, options=options, timeout=self._timeouts)

    def record_once(self) -> None:
        """Record until the input ends or fails (one connection, no reconnect)."""
        self._session()

    def _session(self) -> None:
        segment: _Segment | None = None
        with self._open() as container:
            stream = container.streams.video[0]
            origin: tuple[float, float] | None = None
            arrival = _ArrivalClock() if invents_timestamps(container) else None
            try:
                for packet in container.demux(stream):
                    if self._stop.is_set():
                        break
                    if packet.dts is None or packet.size == 0:
                        continue
                    if arrival is not None:
                        arrival.stamp(packet)
                    if self._realtime:
                        origin = self._pace(packet, origin)
                    if segment is not None and packet.dts <= segment.last_dts:
                        # Timestamps went back (a looping source, a camera reset): the muxer would refuse
                        # them, so this segment ends here and the next starts on a keyframe.
                        self._close(segment, "timestamps_back")
                        segment = None
                    if segment is None or (packet.is_keyframe and segment.seconds() >= self._segment_s):
                        if segment is None and not packet.is_keyframe:
                            continue  # a segment must start on a keyframe to be playable alone
                        if segment is not None:
                            self._close(segment, "timer")
                        start_at = datetime.now(UTC)
                        path = self._store.new_path(self.camera, start_at)
                        time_base = arrival.TIME_BASE if arrival is not None else None
                        segment = _Segment(path, stream, packet.dts, start_at, time_base, self._masked)
                    if segment.encoding:
                        self._encode(segment, packet, stream)
                    else:
                        self._mux(segment, packet)
            finally:
                if segment is not None:
                    self._close(segment, "stopped" if self._stop.is_set() else "stream_ended")

    def _pace(self, packet: av.Packet[Any], origin: tuple[float, float] | None) -> tuple[float, float] | None:
        # Recorded files are read faster than real time; live cameras deliver in real time anyway.
        if packet.pts is None or packet.time_base is None:
            return origin
        t = float(packet.pts * packet.time_base)
        now = time.monotonic()
        if origin is None or t < origin[0]:
            return (t, now)
        ahead = (t - origin[0]) - (now - origin[1])
        if ahead > 0.005:
            self._stop.wait(min(ahead, 1.0))
        return origin

    def _mux(self, segment: _Segment, packet: av.Packet[Any]) -> None:
        assert packet.dts is not None
        offset = segment.first_dts
        packet.dts -= offset
        if packet.pts is not None:
            packet.pts -= offset
        segment.last_ts = max(segment.last_ts, packet.dts + offset + (packet.duration or 0))
        segment.last_dts = packet.dts + offset
        packet.stream = segment.stream
        segment.container.mux(packet)

    def _encode(self, segment: _Segment, packet: av.Packet[Any], source: av.stream.Stream) -> None:
        """Decode ``packet``, black out the masks and encode what it made into the segment."""
        assert packet.dts is not None
        segment.last_ts = max(segment.last_ts, packet.dts + (packet.duration or 0))
        segment.last_dts = packet.dts
        video, decoder = segment.stream, source.codec_context
        assert isinstance(video, av.VideoStream)
        assert isinstance(decoder, av.VideoCodecContext)
        for frame in decoder.decode(packet):
            # A frame of the packets before this segment's keyframe (decoder delay) is not this file's.
            if not isinstance(frame, av.VideoFrame) or frame.pts is None or frame.pts < segment.first_dts:
                continue
            w, h = frame.width, frame.height
            if (video.width, video.height) != (w, h):
                video.width, video.height = w, h  # the source's size is known for sure once decoded
            out = masked_frame(frame, self.privacy_masks)
            out.pts = frame.pts - segment.first_dts
            out.time_base = segment.time_base
            for encoded in video.encode(out):
                segment.container.mux(encoded)

    def _close(self, segment: _Segment, reason: str) -> None:
        try:
            if isinstance(segment.stream, av.VideoStream) and segment.encoding:
                for encoded in segment.stream.encode(None):  # what the encoder still holds
                    segment.container.mux(encoded)
            segment.container.close()
        except (av.FFmpegError, OSError) as exc:
            log.warning("recording.close_failed", extra={"camera": self.camera, "error": repr(exc)})
        # The index keeps the name under the recordings root, so that any replica finds the file.
        name = self._store.relative(segment.path)
        size = self._store.size(name)
        if size == 0:
            self._store.delete(name)
            return
        self.bytes_written += size
        closed = SegmentClosed(
            camera=self.camera,
            path=name,
            start_at=segment.start_at,
            end_at=segment.start_at + timedelta(seconds=segment.seconds()),
            bytes=size,
            codec="h264" if segment.encoding else segment.stream.codec_context.name,
        )
        # Why a segment ended short of the timer (a reconnect, a looping source) is what operators ask.
        log.info(
            "recording.segment_closed",
            extra={"camera": self.camera, "reason": reason, "seconds": round(segment.seconds(), 2), "bytes": size},
        )
        self._on_segment(closed)
