"""The detector contract: a BGR frame in, labelled boxes with scores out (pixel coordinates)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def area(self) -> float:
        return max(0.0, self.x2 - self.x1) * max(0.0, self.y2 - self.y1)


class Detector(Protocol):
    name: str
    labels: frozenset[str]

    def detect(self, frame: Frame) -> list[Detection]: ...


@runtime_checkable
class CropDetector(Protocol):
    """A detector that can run a crop at the scale of the whole frame with a smaller network input,
    so detecting crops costs in proportion to their area. Detectors with a fixed input (SSDLite's
    300x300) would spend a whole frame's work on every crop: the gate gives them whole frames."""

    def detect_scaled(self, crop: Frame, frame_size: tuple[int, int]) -> list[Detection]: ...


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix1, iy1 = max(a[0], b[0]), max(a[1], b[1])
    ix2, iy2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, ix2 - ix1) * max(0.0, iy2 - iy1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
