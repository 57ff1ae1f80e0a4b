"""The stream worker alone, on real footage with a mid-stream resolution change and corrupt packets."""

from __future__ import annotations

import io
import random
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import pytest

from services.ingest.domain.stream import (
    Connected,
    ResolutionChanged,
    Sample,
    StreamConfig,
    StreamEvent,
    StreamWorker,
    Tuning,
)

TS_PACKET = 188


def _encode_ts(source: Path, width: int, height: int, frames: int, first_pts: int) -> bytearray:
    out = io.BytesIO()
    with av.open(str(source)) as src, av.open(out, "w", format="mpegts") as dst:
        stream = dst.add_stream("libx264", rate=Fraction(10, 1))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": "10", "bf": "0"}
        for i, frame in enumerate(src.decode(video=0)):
            if i >= frames:
                break
            scaled = frame.reformat(width=width, height=height, format="yuv420p")
            scaled.pts, scaled.time_base = first_pts + i, Fraction(1, 10)
            for packet in stream.encode(scaled):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return bytearray(out.getvalue())


@pytest.fixture(scope="module")
def changing_stream(footage_avi: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s of 768x576 with 40 garbled transport packets, then 4 s of 640x360: one MPEG-TS file."""
    first = _encode_ts(footage_avi, 768, 576, 40, 0)
    rnd = random.Random(7)
    start = len(first) // 3 - (len(first) // 3) % TS_PACKET
    for packet in range(start, start + TS_PACKET * 40, TS_PACKET):
        for i in range(packet + 8, packet + TS_PACKET):  # keep sync byte and header, garble the payload
            if rnd.random() < 0.3:
                first[i] = rnd.randrange(256)
    path = tmp_path_factory.mktemp("streams") / "changing.ts"
    path.write_bytes(bytes(first + _encode_ts(footage_avi, 640, 360, 40, 40)))
    return path


def test_resolution_change_and_corrupt_packets_keep_the_stream_going(changing_stream: Path) -> None:
    events: list[StreamEvent] = []
    second_part = threading.Event()

    def sink(event: StreamEvent) -> None:
        events.append(event)
        if isinstance(event, Sample) and event.height == 180:
            second_part.set()

    config = StreamConfig("ts-1", f"file://{changing_stream}", sampling_fps=5, output_width=320, revision=1)
    worker = StreamWorker(config, Tuning(), sink)
    worker.start()
    try:
        assert second_part.wait(30), f"never reached the 640x360 part: {events[-3:]}"
    finally:
        worker.stop()
        assert worker.join(10)

    assert isinstance(events[0], Connected)
    assert (events[0].width, events[0].height) == (768, 576)
    assert ResolutionChanged(640, 360) in events
    sizes = {(e.width, e.height) for e in events if isinstance(e, Sample)}
    assert sizes == {(320, 240), (320, 180)}, sizes
    assert worker.stats.decode_errors >= 1
    assert worker.stats.reconnects == 0


def test_stop_is_prompt_while_waiting_to_reconnect() -> None:
    # Nothing listens on port 9 of loopback: the worker fails and sits in its backoff.
    config = StreamConfig("nowhere", "rtsp://127.0.0.1:9/x", sampling_fps=5, output_width=640, revision=1)
    failures = threading.Event()
    worker = StreamWorker(config, Tuning(backoff_min_s=30, backoff_max_s=30), lambda e: failures.set())
    worker.start()
    assert failures.wait(10)
    started = time.monotonic()
    worker.stop()
    assert worker.join(5)
    assert time.monotonic() - started < 5
