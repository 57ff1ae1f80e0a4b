"""Stage 3, detect: a frame in, the detector's labelled boxes (frame pixels) and its time out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from services.analytics.pipeline.detectors import Detection, Detector, Frame
from services.analytics.pipeline.detectors.base import CropDetector
from services.analytics.pipeline.gate import PixelBox

EDGE_PX = 2


def crops_pay_off(detector: Detector) -> bool:
    return isinstance(detector, CropDetector)


@dataclass(frozen=True)
class DetectResult:
    detections: list[Detection]
    ms: float
    pixels: int  # pixels the detector was given (the whole frame, or the sum of the crops)


class DetectStage:
    def __init__(self, detector: Detector) -> None:
        self._detector = detector

    def run(self, frame: Frame, regions: Sequence[PixelBox] = ()) -> DetectResult:
        """The whole frame, or only ``regions`` (crops that do not overlap, so an object is found once)."""
        t0 = time.perf_counter()
        if not regions:
            detections = [d for d in self._detector.detect(frame) if d.area > 0]
            h, w = frame.shape[:2]
            return DetectResult(detections, (time.perf_counter() - t0) * 1000, w * h)
        detections = []
        pixels = 0
        h, w = frame.shape[:2]
        scaled = self._detector if isinstance(self._detector, CropDetector) else None
        for x1, y1, x2, y2 in regions:
            crop = np.ascontiguousarray(frame[y1:y2, x1:x2])
            pixels += crop.shape[0] * crop.shape[1]
            found = scaled.detect_scaled(crop, (w, h)) if scaled is not None else self._detector.detect(crop)
            # A box on an edge of the crop that is not an edge of the frame is an object the crop cut:
            # only part of it was seen (its track keeps the last whole box instead).
            inner = (x1 > 0, y1 > 0, x2 < w, y2 < h)
            for d in found:
                cut = (d.x1 <= EDGE_PX, d.y1 <= EDGE_PX, d.x2 >= x2 - x1 - EDGE_PX, d.y2 >= y2 - y1 - EDGE_PX)
                if d.area > 0 and not any(i and c for i, c in zip(inner, cut, strict=True)):
                    detections.append(replace(d, x1=d.x1 + x1, y1=d.y1 + y1, x2=d.x2 + x1, y2=d.y2 + y1))
        return DetectResult(detections, (time.perf_counter() - t0) * 1000, pixels)
