"""Per-camera privacy masks (the windows of homes, a school yard): polygons in fractions of the picture,
blacked out in every picture ingest makes (frames on the bus and so analytics' input, snapshots,
MJPEG tiles) and, by re-encoding, in recordings. Painted on the decoded YUV planes, before any encoder
sees them, so nothing downstream can undo a mask."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt

Polygon = tuple[tuple[float, float], ...]
Masks = tuple[Polygon, ...]

# Black in YUV: full range (yuvj, JPEG) has luma 0, limited range (video) 16; chroma is neutral at 128.
FULL_RANGE_BLACK = 0
LIMITED_RANGE_BLACK = 16
NEUTRAL_CHROMA = 128


def as_masks(polygons: Sequence[Sequence[Sequence[float]]] | None) -> Masks:
    """The stored JSON form ([[[x, y], ...], ...]) as hashable tuples, so configs compare by value."""
    return tuple(tuple((float(p[0]), float(p[1])) for p in polygon) for polygon in polygons or ())


def _pixels(masks: Masks, width: int, height: int) -> list[npt.NDArray[np.int32]]:
    return [
        np.array([[round(x * width), round(y * height)] for x, y in polygon], dtype=np.int32).reshape(-1, 1, 2)
        for polygon in masks
    ]


def black_out(y: npt.NDArray[Any], u: npt.NDArray[Any], v: npt.NDArray[Any], masks: Masks, *, black: int) -> None:
    """Paint ``masks`` black in place on one 4:2:0 picture's planes (chroma at half size)."""
    if not masks:
        return
    cv2.fillPoly(y, _pixels(masks, y.shape[1], y.shape[0]), black)
    chroma = _pixels(masks, u.shape[1], u.shape[0])
    cv2.fillPoly(u, chroma, NEUTRAL_CHROMA)
    cv2.fillPoly(v, chroma, NEUTRAL_CHROMA)


def planes_420(picture: npt.NDArray[Any], width: int, height: int) -> tuple[npt.NDArray[Any], ...]:
    """The Y, U and V planes of a packed 4:2:0 picture (PyAV's ``to_ndarray``), as views."""
    flat = picture.reshape(-1)
    luma, chroma = width * height, (width // 2) * (height // 2)
    return (
        flat[:luma].reshape(height, width),
        flat[luma : luma + chroma].reshape(height // 2, width // 2),
        flat[luma + chroma :].reshape(height // 2, width // 2),
    )


def masked_frame(frame: av.VideoFrame, masks: Masks) -> av.VideoFrame:
    """A copy of a decoded video frame (limited-range 4:2:0, for an encoder) with ``masks`` black."""
    picture = frame.to_ndarray(format="yuv420p")
    y, u, v = planes_420(picture, frame.width, frame.height)
    black_out(y, u, v, masks, black=LIMITED_RANGE_BLACK)
    return av.VideoFrame.from_ndarray(picture, format="yuv420p")
