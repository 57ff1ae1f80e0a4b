"""Clip export: remux the segments covering a range into one MP4, streamed as it is written."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import av

from services.ingest.privacy.redact import Redactor
from services.ingest.privacy.sampled import EVERY_S, SampledRedaction
from services.ingest.recording.recorder import FRAGMENTED_MP4, MASKED_ENCODER

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Piece:
    path: str
    start_at: datetime


def _packets(pieces: Sequence[Piece], start: datetime, end: datetime) -> Iterator[tuple[float, av.Packet[Any]]]:
    """The packets of the clip (from the keyframe before ``start`` to ``end``), each with its wall-clock
    time, their timestamps moved onto the first piece's timeline; the first one yielded is a keyframe."""
    origin = pieces[0].start_at
    started = False
    last_dts: int | None = None
    for piece in pieces:
        with av.open(piece.path) as src:
            stream = src.streams.video[0]
            base = stream.time_base
            assert base is not None
            shift = int((piece.start_at - origin).total_seconds() / base)
            keyframe_before: list[av.Packet[Any]] = []
            for packet in src.demux(stream):
                if packet.dts is None or packet.pts is None:
                    continue
                at = piece.start_at.timestamp() + float(packet.pts * base)
                if not started:
                    # Keep the GOP that contains ``start`` so the clip opens on a keyframe.
                    if packet.is_keyframe:
                        keyframe_before = []
                    keyframe_before.append(packet)
                    if at < start.timestamp():
                        continue
                    started = True
                    batch = keyframe_before if keyframe_before[0].is_keyframe else []
                else:
                    batch = [packet]
                if at > end.timestamp() and packet.is_keyframe:
                    return
                for p in batch:
                    assert p.pts is not None
                    assert p.dts is not None
                    p_at = piece.start_at.timestamp() + float(p.pts * base)
                    if last_dts is not None and p.dts + shift <= last_dts:
                        # A segment's start time is the wall clock at its first packet: it can fall a
                        # frame or two before the previous segment's last packet, and a muxer refuses a
                        # timestamp going back (EINVAL). The rest of this piece follows on instead.
                        shift = last_dts + max(1, p.duration or 1) - p.dts
                    p.pts += shift
                    p.dts += shift
                    last_dts = p.dts
                    yield p_at, p


def first_frame_at(pieces: Sequence[Piece], start: datetime, end: datetime) -> datetime | None:
    """Wall-clock time of the clip's first frame, which players show at media time 0 (the muxer starts
    the clip's timeline at its first packet); None when no packet falls in the range."""
    for at, _ in _packets(pieces, start, end):
        return datetime.fromtimestamp(at, UTC)
    return None


def write_clip(pieces: Sequence[Piece], start: datetime, end: datetime, fd: int) -> None:
    """Copy packets from ``start`` (back to the keyframe before it) to ``end`` into one fragmented MP4."""
    with os.fdopen(fd, "wb") as sink:
        out = av.open(sink, "w", format="mp4", options=FRAGMENTED_MP4)
        try:
            with av.open(pieces[0].path) as first:
                out_stream = out.add_stream_from_template(first.streams.video[0])
            for _, packet in _packets(pieces, start, end):
                packet.stream = out_stream
                out.mux(packet)
        finally:
            out.close()


def write_redacted_clip(pieces: Sequence[Piece], start: datetime, end: datetime, fd: int, redactor: Redactor) -> None:
    """``write_clip`` with faces and plates blurred: every frame decoded, redacted (detection sampled,
    privacy/sampled.py) and encoded again (as masked recording does), so the clip holds no picture of
    them at all."""
    with os.fdopen(fd, "wb") as sink:
        # A fragment every half second of video, keyframe or not: at a few frames a second of redaction,
        # waiting for the encoder's next keyframe left the response silent past the gateway's upstream
        # read timeout (10 s), which cut the clip.
        out = av.open(sink, "w", format="mp4", options={**FRAGMENTED_MP4, "frag_duration": "500000"})
        try:
            with av.open(pieces[0].path) as first:
                source = first.streams.video[0]
                template = source.codec_context
                assert isinstance(template, av.VideoCodecContext)
                decoder = av.CodecContext.create(template.name, "r")
                decoder.extradata = template.extradata
                rate = source.average_rate or 25
                # A keyframe every 2 s, as the cameras send: the clip seeks as well as the raw one. No
                # lookahead or frame threads (zerolatency): each frame leaves as soon as it is redacted.
                options = {**MASKED_ENCODER, "g": str(round(2 * rate)), "tune": "zerolatency"}
                video = out.add_stream("libx264", rate=rate, options=options)
                video.width, video.height, video.pix_fmt = template.width, template.height, "yuv420p"
                video.time_base = tick = source.time_base
                assert tick is not None
            origin: int | None = None
            sampled = SampledRedaction(redactor, EVERY_S)

            def encode(redacted: av.VideoFrame) -> None:
                assert redacted.pts is not None
                assert origin is not None
                redacted.pts, redacted.time_base = redacted.pts - origin, video.time_base
                for encoded in video.encode(redacted):
                    out.mux(encoded)

            for _, packet in _packets(pieces, start, end):
                for frame in decoder.decode(packet):  # type: ignore[attr-defined]
                    if not isinstance(frame, av.VideoFrame) or frame.pts is None:
                        continue
                    origin = frame.pts if origin is None else origin
                    for redacted in sampled.push(frame, float(frame.pts * tick)):
                        encode(redacted)
            for redacted in sampled.flush():
                encode(redacted)
            for encoded in video.encode(None):
                out.mux(encoded)
        finally:
            out.close()


async def stream_clip(
    pieces: Sequence[Piece], start: datetime, end: datetime, redactor: Redactor | None = None
) -> AsyncIterator[bytes]:
    """Bytes of the clip, produced by a writer thread through a pipe (bounded memory); redacted by
    ``redactor`` when one is given."""
    read_fd, write_fd = os.pipe()
    writer = threading.Thread(
        target=write_clip if redactor is None else write_redacted_clip,
        args=(pieces, start, end, write_fd) + ((redactor,) if redactor else ()),
        daemon=True,
    )
    writer.start()
    try:
        while True:
            chunk = await asyncio.to_thread(os.read, read_fd, CHUNK)
            if not chunk:
                break
            yield chunk
    finally:
        os.close(read_fd)
        await asyncio.to_thread(writer.join, 30)
