"""OpenCV's HOG+SVM people detector: no model file needed, but misses small far-field people."""

from __future__ import annotations

import cv2
import numpy as np

from services.analytics.pipeline.detectors.base import Detection, Frame


class HogPersonDetector:
    name = "hog"
    labels = frozenset({"person"})

    def __init__(self, *, min_score: float = 0.3, input_width: int = 640) -> None:
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), np.float32))
        self._min_score = min_score
        self._input_width = input_width

    def detect(self, frame: Frame) -> list[Detection]:
        h, w = frame.shape[:2]
        scale = min(1.0, self._input_width / w)
        image = cv2.resize(frame, (round(w * scale), round(h * scale))) if scale < 1 else frame
        rects, weights = self._hog.detectMultiScale(image, winStride=(8, 8), padding=(8, 8), scale=1.05)
        return [
            Detection("person", float(s), x / scale, y / scale, (x + bw) / scale, (y + bh) / scale)
            for (x, y, bw, bh), s in zip(rects, list(weights), strict=True)
            if float(s) >= self._min_score
        ]
