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
Box = tuple[float, float, float, float]  # normalised x1, y1, x2, y2
PixelBox = tuple[int, int, int, int]  # x1, y1, x2, y2 in frame pixels


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
class RegionConfig:
    """How motion boxes become detector crops. Motion often covers only part of an object (legs, an
    arm), so boxes are padded generously; a crop is at least ``min_size_px`` a side so the detector
    sees context and small far objects are enlarged, not squeezed; crops that touch are merged so an
    object is never cut in two crops; when crops cover ``full_ratio`` of the frame the whole frame is
    cheaper (one detector call) and is used instead."""

    pad: float = 0.25  # of the motion box's larger side, on each side
    min_pad_px: int = 16
    min_size_px: int = 160
    full_ratio: float = 0.6


def _span(lo: float, hi: float, limit: int, min_side: int) -> tuple[int, int]:
    """[lo, hi] widened to ``min_side`` around its centre, moved inside [0, limit]."""
    side = min(max(hi - lo, min_side), limit)
    start = min(max(0.0, (lo + hi - side) / 2), limit - side)
    return round(start), round(start + side)


def _grow(box: tuple[float, float, float, float], size: tuple[int, int], cfg: RegionConfig) -> PixelBox:
    x1, y1, x2, y2 = box
    pad = max(cfg.min_pad_px, cfg.pad * max(x2 - x1, y2 - y1))
    cx1, cx2 = _span(x1 - pad, x2 + pad, size[0], cfg.min_size_px)
    cy1, cy2 = _span(y1 - pad, y2 + pad, size[1], cfg.min_size_px)
    return cx1, cy1, cx2, cy2


def _touch(a: PixelBox, b: PixelBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def crop_regions(boxes: Sequence[Box], size: tuple[int, int], cfg: RegionConfig) -> list[PixelBox]:
    """Normalised motion boxes → padded, enlarged, merged crops in frame pixels (none overlap)."""
    w, h = size
    crops = [_grow((b[0] * w, b[1] * h, b[2] * w, b[3] * h), size, cfg) for b in boxes]
    merged = True
    while merged:
        merged = False
        for i in range(len(crops)):
            for j in range(i + 1, len(crops)):
                if _touch(crops[i], crops[j]):
                    a, b = crops[i], crops.pop(j)
                    crops[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    merged = True
                    break
            if merged:
                break
    return sorted(crops)


@dataclass(frozen=True)
class GateConfig:
    enabled: bool = True
    # Even a scene without motion gets a full detection this often, so stationary crowds are counted.
    full_detect_interval_s: float = 5.0
    # Between full detections, detect only on crops around what moved (False: the whole frame).
    regions: bool = True
    region: RegionConfig = RegionConfig()


DEFAULT_GATE = GateConfig()


@dataclass(frozen=True)
class GateDecision:
    detect: bool
    motion: MotionResult
    # Crops to detect on; empty with ``detect``: the whole frame.
    regions: tuple[PixelBox, ...] = ()

    @property
    def full(self) -> bool:
        return self.detect and not self.regions


class MotionGate:
    """Runs the detector only when it can see something new: on motion, on the frame after a tracked
    object was missed (has it left?), and every ``full_detect_interval_s`` so a still crowd is counted.
    With ``regions``, only the crops around what moved (and around missed objects) are detected
    between full detections; objects elsewhere keep the boxes of the last detection."""

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

    def check(self, frame: Frame, at: datetime, *, unsure: bool, revisit: Sequence[Box] = ()) -> GateDecision:
        """``unsure``: a tracked object was missed by the last detection; ``revisit``: the normalised
        boxes of such objects (where to look again; without them an unsure gate detects everywhere)."""
        motion = self._motion.update(frame)
        last = self._last_detect
        due = last is None or (at - last).total_seconds() >= self._config.full_detect_interval_s
        if self._always or due or not self._config.regions or (unsure and not revisit):
            return GateDecision(self._always or motion.moving or due or unsure, motion)
        boxes = [*motion.boxes, *revisit]
        if not boxes:
            return GateDecision(False, motion)
        h, w = frame.shape[:2]
        crops = crop_regions(boxes, (w, h), self._config.region)
        if sum((c[2] - c[0]) * (c[3] - c[1]) for c in crops) >= self._config.region.full_ratio * w * h:
            return GateDecision(True, motion)
        return GateDecision(True, motion, tuple(crops))

    def detected(self, at: datetime) -> None:
        """The detector ran on the whole frame captured at ``at``: the next full detection is due from then."""
        self._last_detect = at
