"""Footage made for a test from the real CCTV clip: a short loop, a picture that freezes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av


def edited_clip(source: Path, target: Path, *, moving: int, still: int = 0) -> Path:
    """``moving`` frames of ``source`` (10 fps), then its last one repeated ``still`` times, as H.264
    with a keyframe every second: packets keep flowing while the picture stays the same."""
    with av.open(str(source)) as src, av.open(str(target), "w") as dst:
        in_stream = src.streams.video[0]
        out = dst.add_stream("libx264", rate=Fraction(10, 1))
        out.width, out.height = in_stream.codec_context.width, in_stream.codec_context.height
        out.pix_fmt = "yuv420p"
        out.options = {"preset": "veryfast", "crf": "23", "g": "10", "bf": "0"}
        pictures: list[Any] = []
        for frame in src.decode(in_stream):
            if len(pictures) == moving:
                break
            pictures.append(frame.reformat(format="yuv420p").to_ndarray())
        pictures += [pictures[-1]] * still
        for picture in pictures:
            for packet in out.encode(av.VideoFrame.from_ndarray(picture, format="yuv420p")):
                dst.mux(packet)
        for packet in out.encode():
            dst.mux(packet)
    return target
