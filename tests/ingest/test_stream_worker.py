"""The stream worker alone, on real footage with a mid-stream resolution change and corrupt packets."""

from __future__ import annotations

import io
import itertools
import random
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import av
import pytest

from services.ingest.streams.worker import (
    Connected,
    ResolutionChanged,
    Sample,
    StreamConfig,
    StreamEvent,
    StreamWorker,
    Tuning,
)
from tests.ingest.http_sources import http_server, jpeg_frames, mjpeg_camera

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


def test_http_mjpeg_camera_is_sampled_at_the_asked_rate_of_arrival_time(footage_h264: Path) -> None:
    # MJPEG over HTTP has no timestamps: FFmpeg numbers its frames as if at 25 fps. Sampling on that
    # made-up clock would publish a 10 fps camera's frames at 2 fps instead of the 5 asked.
    events: list[StreamEvent] = []
    samples: list[Sample] = []
    enough = threading.Event()

    def sink(event: StreamEvent) -> None:
        events.append(event)
        if isinstance(event, Sample):
            samples.append(event)
            if len(samples) == 25:
                enough.set()

    with mjpeg_camera(jpeg_frames(footage_h264, 40), fps=10) as url:
        config = StreamConfig("mjpeg-1", url, sampling_fps=5, output_width=320, revision=1)
        worker = StreamWorker(config, Tuning(), sink)
        worker.start()
        try:
            assert enough.wait(30), f"fewer than 25 samples: {events[-3:]}"
            decoded = worker.stats.decoded
        finally:
            worker.stop()
            assert worker.join(10)

    assert events[0] == Connected("mjpeg", 768, 576)
    assert {(s.width, s.height) for s in samples} == {(320, 240)}
    assert all(s.pts is None for s in samples)  # no source clock: no made-up presentation times
    assert all(s.jpeg[:2] == b"\xff\xd8" for s in samples)
    # Every other frame of 10 fps. Frames bunched by a loaded machine can miss a slot, so the band is
    # wide below; the 25 fps numbering gives 0.2.
    assert 0.3 <= len(samples) / decoded <= 0.62, (len(samples), decoded)
    assert worker.stats.reconnects == 0


@pytest.fixture(scope="module")
def hls_server(footage_h264: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """10 s of the footage as an HLS playlist of 2 s MPEG-TS segments, over a real HTTP server."""
    directory = tmp_path_factory.mktemp("hls")
    with (
        av.open(str(footage_h264)) as src,
        av.open(
            str(directory / "index.m3u8"), "w", format="hls", options={"hls_time": "2", "hls_list_size": "0"}
        ) as dst,
    ):
        out = dst.add_stream_from_template(src.streams.video[0])
        for packet in itertools.islice(src.demux(src.streams.video[0]), 100):
            if packet.dts is not None:
                packet.stream = out
                dst.mux(packet)
    with http_server(partial(SimpleHTTPRequestHandler, directory=str(directory))) as base:
        yield base + "/index.m3u8"


def test_hls_playlist_over_http_is_decoded_on_its_own_clock(hls_server: str) -> None:
    samples: list[Sample] = []
    enough = threading.Event()

    def sink(event: StreamEvent) -> None:
        if isinstance(event, Sample):
            samples.append(event)
            if len(samples) == 10:
                enough.set()

    config = StreamConfig("hls-1", hls_server, sampling_fps=5, output_width=320, revision=1)
    worker = StreamWorker(config, Tuning(), sink)
    worker.start()
    try:
        assert enough.wait(30), samples
    finally:
        worker.stop()
        assert worker.join(10)
    assert worker.stats.codec == "h264"
    # HLS keeps the source's timestamps: 5 of 10 fps are 0.2 s apart on that clock.
    steps = [b.pts - a.pts for a, b in itertools.pairwise(samples[:10]) if a.pts is not None and b.pts is not None]
    assert len(steps) == 9
    assert all(abs(step - 0.2) < 0.02 for step in steps), steps
