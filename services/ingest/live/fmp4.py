"""Fragmented MP4 from compressed packets, one fragment per frame (runs on the camera's stream thread).

FFmpeg's mp4 muxer writes ``ftyp+moov`` at start (``empty_moov``) and, with ``frag_every_frame``, the
``moof+mdat`` of a packet as soon as the next packet arrives (it needs the next timestamp for the
duration): one frame of delay, no re-encoding. What it writes goes to an in-memory sink, cut per call.
"""

from __future__ import annotations

import contextlib
import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av

from shared.messages import LiveKind

MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof+frag_every_frame"
# The browsers' MSE plays H.264 everywhere; anything else is transcoded (tap.py).
PASSTHROUGH_CODECS = frozenset({"h264"})


@dataclass(frozen=True)
class Chunk:
    kind: LiveKind
    keyframe: bool
    codec: str
    data: bytes


class _Sink(io.RawIOBase):
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def _find_box(data: bytes, name: bytes) -> bytes | None:
    """The payload of the first box ``name`` anywhere in ``data`` (boxes nest: a plain byte search is
    enough for the few well-known names asked for, which cannot collide with a box header elsewhere in
    an init segment)."""
    at = data.find(name)
    if at < 4:
        return None
    (size,) = struct.unpack(">I", data[at - 4 : at])
    return data[at + 4 : at - 4 + size]


def codec_string(init: bytes) -> str:
    """The RFC 6381 codec of an init segment, as MSE's ``addSourceBuffer`` wants it: ``avc1.PPCCLL``
    from the avcC record (profile, constraint flags, level)."""
    avcc = _find_box(init, b"avcC")
    if avcc is None or len(avcc) < 4:
        raise ValueError("no avcC box in the init segment")
    return "avc1." + avcc[1:4].hex()


class Fmp4Muxer:
    """One muxing session: fMP4 init once, then a fragment per packet (``passthrough`` of a source
    stream's packets, or ``transcoding`` decoded frames to H.264)."""

    def __init__(self, add_stream: Callable[[av.container.OutputContainer], av.video.stream.VideoStream]) -> None:
        self._sink = _Sink()
        self._out = av.open(self._sink, "w", format="mp4", options={"movflags": MOVFLAGS})
        self._stream = add_stream(self._out)
        self._out.start_encoding()
        self.init = self._sink.take()
        self.codec = codec_string(self.init)
        self.width, self.height = self._stream.codec_context.width, self._stream.codec_context.height
        self._pending_keyframe = False

    @classmethod
    def passthrough(cls, source: av.video.stream.VideoStream) -> Fmp4Muxer:
        def add(out: av.container.OutputContainer) -> av.video.stream.VideoStream:
            stream = out.add_stream_from_template(source)
            stream.time_base = source.time_base
            return stream

        return cls(add)

    @classmethod
    def transcoding(cls, width: int, height: int, gop: int) -> Fmp4Muxer:
        """libx264 at the lowest latency and CPU: no B-frames, no lookahead, a keyframe every ``gop``."""

        def add(out: av.container.OutputContainer) -> av.video.stream.VideoStream:
            stream = out.add_stream("libx264")
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.time_base = Fraction(1, 90_000)
            stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(gop), "bf": "0"}
            return stream

        return cls(add)

    def encode(self, frame: av.VideoFrame) -> list[Chunk]:
        chunks: list[Chunk] = []
        for packet in self._stream.encode(frame):
            chunks += self.mux(packet)
        return chunks

    def copy(self, packet: av.Packet[Any]) -> list[Chunk]:
        """Mux a copy of a demuxed packet: muxing takes the packet's data away, and the stream thread
        still decodes it."""
        duplicate = av.Packet(bytes(packet))
        duplicate.pts, duplicate.dts, duplicate.time_base = packet.pts, packet.dts, packet.time_base
        duplicate.is_keyframe = packet.is_keyframe
        return self.mux(duplicate)

    def mux(self, packet: av.Packet[Any]) -> list[Chunk]:
        """Add ``packet`` (it is consumed); what became ready: the previous packet's fragment, with the
        init segment first when that one is a keyframe (so that a viewer can join at any keyframe)."""
        packet.stream = self._stream
        is_keyframe = packet.is_keyframe
        self._out.mux(packet)
        data = self._sink.take()
        keyframe, self._pending_keyframe = self._pending_keyframe, is_keyframe
        if not data:
            return []
        fragment = Chunk("fragment", keyframe, self.codec, data)
        return [Chunk("init", True, self.codec, self.init), fragment] if keyframe else [fragment]

    def close(self) -> None:
        # The trailer of a live stream nobody reads any more: whatever FFmpeg says about it does not matter.
        with contextlib.suppress(av.error.FFmpegError, ValueError, OSError):
            self._out.close()
