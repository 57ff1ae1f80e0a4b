"""Stage 3, detect: a frame in, the detector's labelled boxes (frame pixels) and its time out."""

from __future__ import annotations

import time
from dataclasses import dataclass

from services.analytics.pipeline.detectors import Detection, Detector, Frame


@dataclass(frozen=True)
class DetectResult:
    detections: list[Detection]
    ms: float


class DetectStage:
    def __init__(self, detector: Detector) -> None:
        self._detector = detector

    def run(self, frame: Frame) -> DetectResult:
        t0 = time.perf_counter()
        detections = [d for d in self._detector.detect(frame) if d.area > 0]
        return DetectResult(detections, (time.perf_counter() - t0) * 1000)
