"""Detector backends behind one protocol; ``build_detector`` picks one from the settings."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from services.analytics.pipeline.detectors.base import Detection, Detector, Frame, iou

__all__ = ["Detection", "Detector", "Frame", "build_detector", "iou"]
log = logging.getLogger("cityops.analytics.detectors")


def build_detector(
    kind: str,
    *,
    min_score: float,
    onnx_model: Path | None = None,
    onnx_class_names: Sequence[str] = (),
    yolo_input_size: int = 416,
) -> Detector:
    if kind == "yolov4_tiny":
        from services.analytics.pipeline.detectors import yolov4_tiny

        try:
            # Its own low base confidence, not ``min_score``: rules filter by their ``min_confidence``.
            return yolov4_tiny.YoloV4TinyDetector(input_size=yolo_input_size)
        except yolov4_tiny.ModelUnavailableError as exc:
            # People at least, until the wheel is installed; the camera's stats show what runs.
            log.warning("detector.fallback", extra={"wanted": kind, "using": "ssdlite", "reason": str(exc)})
            kind = "ssdlite"
    if kind == "ssdlite":
        from services.analytics.pipeline.detectors.ssdlite import ModelUnavailableError, SsdLitePersonDetector

        try:
            return SsdLitePersonDetector(min_score=min_score)
        except ModelUnavailableError as exc:
            # Weaker on far-field people, but needs no file: better than no detection at all.
            log.warning("detector.fallback", extra={"wanted": "ssdlite", "using": "hog", "reason": str(exc)})
            kind = "hog"
    if kind == "hog":
        from services.analytics.pipeline.detectors.hog import HogPersonDetector

        return HogPersonDetector()
    if kind == "onnx":
        if onnx_model is None:
            raise ValueError("detector 'onnx' needs a model file (CITYOPS_ANALYTICS_ONNX_MODEL)")
        from services.analytics.pipeline.detectors.onnx_yolo import COCO_NAMES, OnnxYoloDetector

        return OnnxYoloDetector(onnx_model, class_names=onnx_class_names or COCO_NAMES, min_score=min_score)
    if kind == "motion_blob":
        from services.analytics.pipeline.detectors.motion_blob import MotionBlobDetector

        return MotionBlobDetector()
    raise ValueError(f"unknown detector {kind!r}")
