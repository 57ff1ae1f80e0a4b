"""The clock camera's time code survives H.264 (PyAV libx264 → h264 decoder), so the glass-to-glass bench
(bench/bench_live_latency.py) reads the time a frame was made, not a wrong or stale one."""

from __future__ import annotations

import av
import numpy as np

from bench.clockcam import clock_frame, encoder, read_ms


def test_the_time_code_round_trips_through_h264() -> None:
    base = 1_796_000_000_000  # a December 2026 epoch ms
    stamps = [base + 37 * i + (i % 3) * 1_000_003 for i in range(30)]
    codec = encoder(gop=10)
    codec.options = {**codec.options, "crf": "35"}  # coarser than the bench's default: a margin
    packets = []
    for i, ms in enumerate(stamps):
        frame = av.VideoFrame.from_ndarray(clock_frame(ms, i), format="rgb24").reformat(format="yuv420p")
        frame.pts = i * 40
        packets += codec.encode(frame)
    packets += codec.encode(None)
    decoder = av.CodecContext.create("h264", "r")
    seen = [read_ms(frame.to_ndarray(format="gray")) for p in packets for frame in decoder.decode(p)]
    seen += [read_ms(frame.to_ndarray(format="gray")) for frame in decoder.decode(None)]
    assert seen == stamps


def test_a_misread_frame_is_rejected_not_misreported() -> None:
    image = clock_frame(1_796_000_000_123, 0)[:, :, 0].copy()
    assert read_ms(image) == 1_796_000_000_123
    image[32:64, 64:96] = 255 - image[32:64, 64:96]  # flip the first block (a data bit)
    assert read_ms(image) is None
    # A picture without the code (black before the first frame, or white) is no time either.
    assert read_ms(np.zeros_like(image)) is None
    assert read_ms(np.full_like(image, 255)) is None
