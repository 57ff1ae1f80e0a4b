"""The stream thread's side of the live relay: its demuxed packets (or, for a codec the browsers do not
play, its decoded frames) become fMP4 chunks while someone wants them.

It rides on the ``StreamWorker``'s own connection and demux loop rather than opening a second RTSP
session: the camera sees one client whatever the number of viewers, nothing is decoded twice (the
transcode of an HEVC camera reuses the frames the worker decodes anyway), and the relay follows the
worker's lease for free: only the replica that owns a camera relays it. (A camera's substream, a
second URL for wall tiles, feeds a tap of its own from live/substream.py.) ``wanted`` is written by the
event loop and read here (a single attribute: atomic); chunks leave through ``emit`` (thread-safe by
contract).

A tap makes two videos of its source: the raw one above (``wanted``: the camera's own H.264, or a
transcode), for viewers holding ``footage:raw``, and the redacted one (``redacted``, live/redacted.py:
faces and plates pixelated, on a thread of its own) for everyone else. Both run only while wanted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import av

from services.ingest.live.fmp4 import PASSTHROUGH_CODECS, Chunk, Fmp4Muxer
from services.ingest.live.redacted import TILE_GOP, TILE_TIME_BASE, RedactedFeed, tile_frame, tile_size
from services.ingest.privacy.masks import Masks, masked_frame

log = logging.getLogger("cityops.ingest.live")
T = TypeVar("T")


class LiveTap:
    def __init__(
        self,
        camera: str,
        emit: Callable[[list[Chunk]], None],
        privacy_masks: Masks = (),
        emit_redacted: Callable[[list[Chunk]], None] | None = None,
    ) -> None:
        """``privacy_masks``: a masked camera's own packets would show what the masks hide, so its live
        video is always made from decoded frames, masked, like another codec's. ``emit_redacted``: where
        the redacted video's chunks go (none: this tap makes no redacted video)."""
        self.camera = camera
        self.redacted = RedactedFeed(camera, emit_redacted, privacy_masks) if emit_redacted else None
        self.privacy_masks = privacy_masks
        self.wanted = False
        self._emit = emit
        self._source: av.video.stream.VideoStream | None = None
        self._muxer: Fmp4Muxer | None = None
        self._last_dts: int | None = None

    @property
    def transcodes(self) -> bool:
        if self._source is None:
            return False
        return bool(self.privacy_masks) or self._source.codec_context.name not in PASSTHROUGH_CODECS

    @property
    def needs_frames(self) -> bool:
        """Whether a live view is made from decoded frames right now (watched and transcoded, or redacted)."""
        return (self.wanted and self.transcodes) or (self.redacted is not None and self.redacted.wanted)

    def open(self, source: av.video.stream.VideoStream) -> None:
        """A new connection: its parameters may differ, so the next chunk comes with a new init."""
        self._stop_muxing()
        self._source = source

    def close(self) -> None:
        self._stop_muxing()
        self._source = None

    def packet(self, packet: av.Packet[Any]) -> None:
        """Pass a demuxed packet through (H.264): starts at a keyframe, stops when no longer wanted."""
        if not self._active() or self.transcodes or packet.dts is None or packet.pts is None:
            return
        if self._muxer is not None and self._last_dts is not None and packet.dts <= self._last_dts:
            return  # a repeated or backward timestamp (RTP jitter): the muxer would refuse it
        self._last_dts = packet.dts
        if self._muxer is None:
            if not packet.is_keyframe:
                return
            assert self._source is not None
            self._muxer = self._guarded(lambda: Fmp4Muxer.passthrough(self._source))  # type: ignore[arg-type]
        muxer = self._muxer
        if muxer is not None:
            self._send(self._guarded(lambda: muxer.copy(packet)))

    def frame(self, frame: av.VideoFrame) -> None:
        """A decoded frame: to the redacted video when wanted, and transcoded to H.264 at tile size for
        the raw one (non-H.264 or masked sources only)."""
        if self.redacted is not None:
            self.redacted.offer(frame)
        if not self._active() or not self.transcodes or frame.time is None:
            return
        if self._muxer is None:
            width, height = tile_size(frame.width, frame.height)
            self._muxer = self._guarded(lambda: Fmp4Muxer.transcoding(width, height, TILE_GOP))
        muxer = self._muxer
        if muxer is None:
            return
        small = tile_frame(frame, (muxer.width, muxer.height))
        if self.privacy_masks:
            pts = small.pts
            small = masked_frame(small, self.privacy_masks)
            small.pts, small.time_base = pts, TILE_TIME_BASE
        self._send(self._guarded(lambda: muxer.encode(small)))

    def _active(self) -> bool:
        if not self.wanted:
            self._stop_muxing()
            return False
        return self._source is not None

    def _guarded(self, step: Callable[[], T]) -> T | None:
        """Run a muxing step; on failure (a timestamp going back, a parameter change FFmpeg refuses) drop
        this muxing session: the next keyframe starts a new one with its own init."""
        try:
            return step()
        except (av.error.FFmpegError, ValueError) as exc:
            log.warning("live.mux_failed", extra={"camera": self.camera, "error": f"{type(exc).__name__}: {exc}"})
            self._stop_muxing()
            return None

    def _send(self, chunks: list[Chunk] | None) -> None:
        if chunks:
            self._emit(chunks)

    def _stop_muxing(self) -> None:
        self._last_dts = None
        if self._muxer is not None:
            self._muxer.close()
            self._muxer = None
