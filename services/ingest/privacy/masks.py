"""Per-camera privacy masks (the windows of homes, a school yard): polygons in fractions of the picture,
blacked out in every picture ingest makes (frames on the bus and so analytics' input, snapshots,
MJPEG tiles) and, by re-encoding, in recordings. Painted on the decoded YUV planes, before any encoder
sees them, so nothing downstream can undo a mask."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
