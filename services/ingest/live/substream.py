"""A camera's substream, read for its wall tiles while someone watches them.

Cameras offer a low-resolution second stream at a URL of its own (``substream_url``), which is what
NVRs show on walls: 36 full-resolution tiles would saturate a browser. The main stream's connection is
the ``StreamWorker``'s; the substream gets a connection of its own only while ``sub`` is wanted
(``LiveRelay`` starts and stops this reader), on the replica that owns the camera. It only demuxes:
packets pass through the ``LiveTap`` as they are, and are decoded only when the tap transcodes (an
HEVC substream) or makes redacted video, so an H.264 substream watched raw costs no decoding at all.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import av
from prometheus_client import Gauge

from services.ingest.cameras.urls import mask_url
from services.ingest.live.tap import LiveTap
from services.ingest.streams import thread
from services.ingest.streams.worker import Tuning, describe, open_stream

log = logging.getLogger("cityops.ingest.live")

# Not per camera: which cameras' substreams are open is in the live.substream_* log lines.
SUBSTREAM_SESSIONS = Gauge("cityops_ingest_live_substreams", "Substream connections open for live wall tiles")


class SubstreamReader(thread.CameraThread):
    """Open, demux into ``tap``, reconnect with backoff — until ``stop()``; never raises out of its thread."""

    def __init__(self, camera: str, url: str, tuning: Tuning, tap: LiveTap) -> None:
        super().__init__(f"substream-{camera}")
        self.camera = camera
        self.url = url
        self.tap = tap
        self._tuning = tuning
        self._is_file = url.startswith("file://")

    def stop(self) -> None:
        # Not one more chunk from a reader being stopped: a new one may already feed the viewers.
        self.tap.wanted = False
        if self.tap.redacted is not None:
            self.tap.redacted.want(False)
        super().stop()

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            opened: list[float] = []
            try:
                self._session(opened)
                if self._is_file and opened:
                    attempt = 0
                    continue  # recorded footage loops like a camera that never ends
                reason = "stream ended"
            except thread.StreamStopped:
                break
            except Exception as exc:
                reason = describe(exc, self._tuning, self.url)
            if self._stop.is_set():
                break
            if opened and time.monotonic() - opened[0] >= self._tuning.healthy_reset_s:
                attempt = 0
            delay = thread.backoff_delay(attempt, self._tuning.backoff_min_s, self._tuning.backoff_max_s)
            attempt += 1
            log.warning(
                "live.substream_failed", extra={"camera": self.camera, "reason": reason, "retry_in_s": round(delay, 2)}
            )
            self._stop.wait(delay)

    def _session(self, opened: list[float]) -> None:
        """One connection: returns at end of stream, raises on failure, stall or stop."""
        container = open_stream(self.url, self._tuning)
        SUBSTREAM_SESSIONS.inc()
        try:
            if not container.streams.video:
                raise RuntimeError("no video stream")
            stream = container.streams.video[0]
            self.tap.open(stream)
            opened.append(time.monotonic())
            log.info(
                "live.substream_opened",
                extra={
                    "camera": self.camera,
                    "url": mask_url(self.url),
                    "codec": stream.codec_context.name,
                    "width": stream.codec_context.width,
                    "height": stream.codec_context.height,
                },
            )
            clock: tuple[float, float] | None = None
            for packet in container.demux(stream):
                if self._stop.is_set():
                    raise thread.StreamStopped
                self.tap.packet(packet)
                if self.tap.needs_frames:
                    self._transcode(packet)
                if self._is_file:
                    clock = self._keep_pace(_seconds(packet), clock)
        finally:
            self.tap.close()
            container.close()
            SUBSTREAM_SESSIONS.dec()

    def _transcode(self, packet: av.Packet[Any]) -> None:
        """Decode for the tap's transcode (a codec the browsers do not play) or its redacted video; a bad
        packet is skipped."""
        try:
            frames = packet.decode()
        except (av.error.InvalidDataError, av.error.EOFError, av.error.UndefinedError):
            return
        for frame in frames:
            self.tap.frame(frame)


def _seconds(packet: av.Packet[Any]) -> float | None:
    if packet.pts is None or packet.time_base is None:
        return None
    return float(packet.pts * packet.time_base)
