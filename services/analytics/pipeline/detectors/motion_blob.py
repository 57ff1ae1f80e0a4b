"""Moving blobs from background subtraction, labelled ``moving_object`` — not a classifier.

For flow counts on routes where no vehicle model is available: anything that moves and passes the
size/aspect filters is counted. It cannot tell a car from a group of people; rules and dashboards
show it under its own class for that reason.
"""

from __future__ import annotations

import cv2
import numpy as np

from services.analytics.pipeline.detectors.base import Detection, Frame


class MotionBlobDetector:
    name = "motion_blob"
    labels = frozenset({"moving_object"})

    def __init__(
        self,
        *,
        work_width: int = 320,
        min_area: float = 0.0008,
        max_area: float = 0.25,
        min_aspect: float = 0.2,
        max_aspect: float = 5.0,
        learning_rate: float = 0.01,
    ) -> None:
        # A fixed learning rate (not OpenCV's automatic one) keeps replays of the same frames identical.
        self._bg = cv2.createBackgroundSubtractorMOG2(history=200, varThreshold=25, detectShadows=False)
        self._rate = learning_rate
        self._work_width = work_width
        self._min_area, self._max_area = min_area, max_area
        self._min_aspect, self._max_aspect = min_aspect, max_aspect
        self._kernel = np.ones((3, 3), np.uint8)

    def detect(self, frame: Frame) -> list[Detection]:
        h, w = frame.shape[:2]
        scale = self._work_width / w
        small = cv2.resize(frame, (self._work_width, round(h * scale)), interpolation=cv2.INTER_AREA)
        mask = self._bg.apply(cv2.GaussianBlur(small, (5, 5), 0), learningRate=self._rate)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
        mask = cv2.dilate(mask, self._kernel, iterations=2)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        total = float(small.shape[0] * small.shape[1])
        found = []
        for contour in contours:
            x, y, bw, bh = cv2.boundingRect(contour)
            area = bw * bh / total
            aspect = bw / max(bh, 1)
            if not (self._min_area <= area <= self._max_area and self._min_aspect <= aspect <= self._max_aspect):
                continue
            found.append(Detection("moving_object", 1.0, x / scale, y / scale, (x + bw) / scale, (y + bh) / scale))
        return sorted(found, key=lambda d: (d.x1, d.y1))
