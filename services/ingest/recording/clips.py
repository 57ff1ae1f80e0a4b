"""Clip export: remux the segments covering a range into one MP4, streamed as it is written."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import av

from services.ingest.recording.recorder import FRAGMENTED_MP4

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Piece:
    path: str
    start_at: datetime


def write_clip(pieces: Sequence[Piece], start: datetime, end: datetime, fd: int) -> None:
    """Copy packets from ``start`` (back to the keyframe before it) to ``end`` into one fragmented MP4."""
    with os.fdopen(fd, "wb") as sink:
        out = av.open(sink, "w", format="mp4", options=FRAGMENTED_MP4)
        out_stream = None
        origin = pieces[0].start_at
        try:
            started = False
            for piece in pieces:
                with av.open(piece.path) as src:
                    stream = src.streams.video[0]
                    if out_stream is None:
                        out_stream = out.add_stream_from_template(stream)
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
                            p.pts += shift
                            p.dts += shift
                            p.stream = out_stream
                            out.mux(p)
        finally:
            out.close()


async def stream_clip(pieces: Sequence[Piece], start: datetime, end: datetime) -> AsyncIterator[bytes]:
    """Bytes of the clip, produced by a writer thread through a pipe (bounded memory)."""
    read_fd, write_fd = os.pipe()
    writer = threading.Thread(target=write_clip, args=(pieces, start, end, write_fd), daemon=True)
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
