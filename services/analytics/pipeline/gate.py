"""Stage 2, motion gate: a frame and its capture time in, whether the detector runs on it out.

Motion is found cheaply on a small grayscale copy (the approach and defaults of Frigate's detector):
the frame is shrunk to ``frame_height`` rows, blurred, compared with a running-average background;
changed pixels above ``threshold`` are dilated into blobs, and blobs larger than ``contour_area`` (in
small-frame pixels) are motion. Masked polygons (trees, clocks, roads outside the scene) never count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np
import numpy.typing as npt

from services.analytics.pipeline.detectors.base import Frame

Polygon = Sequence[Sequence[float]]


@dataclass(frozen=True)
class MotionResult:
    boxes: list[tuple[float, float, float, float]]  # normalised x1, y1, x2, y2
    ratio: float  # share of (unmasked) pixels that changed

    @property
    def moving(self) -> bool:
        return bool(self.boxes)


class MotionDetector:
    def __init__(
        self,
        *,
        frame_height: int = 100,
        threshold: int = 30,
        contour_area: int = 10,
        frame_alpha: float = 0.01,
        lightning_ratio: float = 0.8,
        settle_frames: int = 5,
        masks: Sequence[Polygon] = (),
    ) -> None:
        self._height = frame_height
        self._threshold = threshold
        self._contour_area = contour_area
        self._alpha = frame_alpha
        self._lightning = lightning_ratio
        self._settle = settle_frames
        self._masks = [list(m) for m in masks]
        self._background: npt.NDArray[np.float32] | None = None
        self._keep: npt.NDArray[np.uint8] | None = None
        self._previous: npt.NDArray[np.uint8] | None = None
        self._still = 0

    def _prepare(self, frame: Frame) -> npt.NDArray[np.uint8]:
        h, w = frame.shape[:2]
        width = max(1, round(w * self._height / h))
        gray = cv2.cvtColor(cv2.resize(frame, (width, self._height), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        return np.asarray(cv2.GaussianBlur(gray, (3, 3), 0), dtype=np.uint8)

    def _mask_for(self, shape: tuple[int, int]) -> npt.NDArray[np.uint8]:
        keep = np.full(shape, 255, np.uint8)
        for poly in self._masks:
            pts = np.array([[x * shape[1], y * shape[0]] for x, y in poly], np.int32)
            cv2.fillPoly(keep, [pts], 0)
        return keep

    def _changed(self, small: npt.NDArray[np.uint8], reference: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        assert self._keep is not None
        _, changed = cv2.threshold(cv2.absdiff(small, reference), self._threshold, 255, cv2.THRESH_BINARY)
        return np.asarray(cv2.bitwise_and(changed, self._keep), dtype=np.uint8)

    def update(self, frame: Frame) -> MotionResult:
        small = self._prepare(frame)
        if self._background is None or self._keep is None or self._previous is None:
            self._background = small.astype(np.float32)
            self._keep = self._mask_for(small.shape)
            self._previous = small
            return MotionResult([], 0.0)
        step = self._changed(small, self._previous)
        # A scene that has not changed from frame to frame for a while is the background now: this
        # clears the "ghosts" a slow running average keeps of objects that left (or stopped).
        self._still = 0 if np.count_nonzero(step) > self._contour_area else self._still + 1
        self._previous = small
        if self._still >= self._settle:
            self._background = small.astype(np.float32)
        changed = self._changed(small, np.asarray(cv2.convertScaleAbs(self._background), np.uint8))
        kept = max(1, int(np.count_nonzero(self._keep)))
        ratio = float(np.count_nonzero(changed)) / kept
        # Something that vanishes against a background that never learnt it shows only frame to frame.
        changed = np.asarray(cv2.bitwise_or(changed, step), np.uint8)
        if ratio > self._lightning:
            # Lightning, IR switch or camera moved: the whole background is stale; relearn it.
            self._background = small.astype(np.float32)
            return MotionResult([], ratio)
        cv2.accumulateWeighted(small, self._background, self._alpha)
        blobs = cv2.dilate(changed, np.ones((3, 3), np.uint8), iterations=2)
        contours, _ = cv2.findContours(blobs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        h, w = small.shape
        boxes = []
        for contour in contours:
            if cv2.contourArea(contour) <= self._contour_area:
                continue
            x, y, bw, bh = cv2.boundingRect(contour)
            boxes.append((x / w, y / h, (x + bw) / w, (y + bh) / h))
        return MotionResult(sorted(boxes), ratio)


@dataclass(frozen=True)
class GateConfig:
    enabled: bool = True
    # Even a scene without motion gets a full detection this often, so stationary crowds are counted.
    full_detect_interval_s: float = 5.0


DEFAULT_GATE = GateConfig()


@dataclass(frozen=True)
class GateDecision:
    detect: bool
    motion: MotionResult


class MotionGate:
    """Runs the detector only when it can see something new: on motion, on the frame after a tracked
    object was missed (has it left?), and every ``full_detect_interval_s`` so a still crowd is counted."""

    def __init__(self, config: GateConfig = DEFAULT_GATE, *, masks: Sequence[Polygon] = (), always: bool = False):
        self._config = config
        self._always = always or not config.enabled
        self._masks = [list(m) for m in masks]
        self._motion = MotionDetector(masks=self._masks)
        self._last_detect: datetime | None = None

    def set_masks(self, masks: Sequence[Polygon]) -> None:
        """New masks restart the motion background (it is cheap: a few frames)."""
        if [list(m) for m in masks] != self._masks:
            self._masks = [list(m) for m in masks]
            self._motion = MotionDetector(masks=self._masks)

    def check(self, frame: Frame, at: datetime, *, unsure: bool) -> GateDecision:
        """``unsure``: a tracked object was missed by the last detection."""
        motion = self._motion.update(frame)
        last = self._last_detect
        due = last is None or (at - last).total_seconds() >= self._config.full_detect_interval_s
        return GateDecision(self._always or motion.moving or due or unsure, motion)

    def detected(self, at: datetime) -> None:
        """The detector ran on the frame captured at ``at``: the next full detection is due from then."""
        self._last_detect = at
