"""One camera's chain: motion gate → detector → tracker → rules → alert transitions, counts, snapshot."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np
import numpy.typing as npt

from services.analytics.domain.counts import MinuteCount, MinuteCounter
from services.analytics.domain.detectors.base import Detection, Detector, Frame
from services.analytics.domain.motion import MotionDetector, Polygon
from services.analytics.domain.rules import Crossing, RuleSpec, RuleState, Transition
from services.analytics.domain.tracker import Track, Tracker


@dataclass(frozen=True)
class GateConfig:
    enabled: bool = True
    # Even a scene without motion gets a full detection this often, so stationary crowds are counted.
    full_detect_interval_s: float = 5.0


@dataclass
class FrameOutcome:
    at: datetime
    detected: bool
    detect_ms: float
    motion_ratio: float
    detections: list[Detection]
    tracks: list[Track]
    transitions: list[Transition]
    crossings: list[Crossing]
    closed_minutes: list[MinuteCount]
    size: tuple[int, int]  # width, height of the frame
    snapshots: dict[str, bytes] = field(default_factory=dict)  # alert id → JPEG


class CameraPipeline:
    def __init__(
        self,
        camera: str,
        detector: Detector,
        *,
        gate: GateConfig = GateConfig(),
        motion_masks: Sequence[Polygon] = (),
        always_detect: bool = False,
    ) -> None:
        self.camera = camera
        self._detector = detector
        self._gate = gate
        self._always = always_detect or not gate.enabled
        self._masks = [list(m) for m in motion_masks]
        self._motion = MotionDetector(masks=self._masks)
        self._tracker = Tracker()
        self._counter = MinuteCounter(camera)
        self._rules: dict[str, RuleState] = {}
        self._last_detect: datetime | None = None

    @property
    def rules(self) -> dict[str, RuleState]:
        return self._rules

    def set_rules(self, rules: Sequence[RuleSpec], at: datetime | None = None) -> list[Transition]:
        """Apply a new rule set; unchanged rules keep their state (pending/active alerts, dwell times),
        edited ones keep their open alert, and open alerts of deleted rules end (at ``at``)."""
        states = {}
        for rule in rules:
            old = self._rules.get(rule.id)
            if old is not None and old.rule == rule:
                states[rule.id] = old
            else:
                states[rule.id] = RuleState(rule)
                if old is not None:
                    states[rule.id].active = old.active
        ended: list[Transition] = []
        if at is not None:
            for rule_id, state in self._rules.items():
                if rule_id not in states:
                    ended += state.close(at)
        self._rules = states
        return ended

    def set_motion_masks(self, masks: Sequence[Polygon]) -> None:
        """New masks restart the motion background (it is cheap: a few frames)."""
        if [list(m) for m in masks] != self._masks:
            self._masks = [list(m) for m in masks]
            self._motion = MotionDetector(masks=self._masks)

    def process(self, frame: Frame, at: datetime) -> FrameOutcome:
        motion = self._motion.update(frame)
        due = self._last_detect is None or (at - self._last_detect).total_seconds() >= self._gate.full_detect_interval_s
        # An object missed by the last detection is checked again even without motion: it may have left.
        unsure = any(t.misses == 1 for t in self._tracker.confirmed)
        detect = self._always or motion.moving or due or unsure
        detections: list[Detection] = []
        detect_ms = 0.0
        h, w = frame.shape[:2]
        if detect:
            t0 = time.perf_counter()
            detections = [d for d in self._detector.detect(frame) if d.area > 0]
            detect_ms = (time.perf_counter() - t0) * 1000
            self._last_detect = at
            self._tracker.update(detections, (w, h), at)
        # Without a detection (nothing moved) every object is where it was last seen: tracks neither
        # move nor age. Line crossing follows every live track (a missed frame must not lose a
        # crossing); zones count the objects seen in the last detection round (one miss tolerated).
        followed = self._tracker.confirmed
        tracks = [t for t in followed if t.misses <= 1]
        transitions: list[Transition] = []
        crossings: list[Crossing] = []
        occupancy: dict[str, tuple[str, int]] = {}
        for rule_id, state in self._rules.items():
            t, c = state.step(at, followed if state.rule.type == "line_crossing" else tracks)
            transitions += t
            crossings += c
            # A line has no zone: its occupancy is the objects of its class in view, so that every
            # minute has a row, crossings or not.
            occupancy[rule_id] = (state.rule.object_class, state.occupancy(tracks))
        closed = self._counter.add(at, occupancy, [(c.rule.id, c.rule.object_class, c.direction) for c in crossings])
        outcome = FrameOutcome(
            at, detect, detect_ms, motion.ratio, detections, tracks, transitions, crossings, closed, (w, h)
        )
        for tr in transitions:
            if tr.phase != "ended":
                outcome.snapshots[tr.alert_id] = snapshot(frame, tracks, tr)
        return outcome

    def open_minutes(self) -> list[MinuteCount]:
        return self._counter.current()

    def close(self, at: datetime) -> list[Transition]:
        out: list[Transition] = []
        for state in self._rules.values():
            out += state.close(at)
        return out


def snapshot(frame: Frame, tracks: Sequence[Track], transition: Transition, quality: int = 85) -> bytes:
    """JPEG of the frame with the rule's zone (or line) and the tracked boxes drawn."""
    image: npt.NDArray[np.uint8] = frame.copy()
    h, w = image.shape[:2]
    rule = transition.rule
    if rule.zone is not None:
        pts = np.array([[x * w, y * h] for x, y in rule.zone], np.int32)
        overlay = image.copy()
        cv2.fillPoly(overlay, [pts], (0, 0, 255))
        image = np.asarray(cv2.addWeighted(overlay, 0.2, image, 0.8, 0), dtype=np.uint8)
        cv2.polylines(image, [pts], True, (0, 0, 255), 2)
    if rule.line is not None:
        (x1, y1), (x2, y2) = rule.line
        cv2.line(image, (round(x1 * w), round(y1 * h)), (round(x2 * w), round(y2 * h)), (0, 0, 255), 2)
    involved = set(transition.track_ids)
    for t in tracks:
        colour = (0, 0, 255) if t.id in involved else (0, 200, 0)
        p1 = (round(t.box[0] * w), round(t.box[1] * h))
        p2 = (round(t.box[2] * w), round(t.box[3] * h))
        cv2.rectangle(image, p1, p2, colour, 2)
        cv2.putText(
            image,
            f"{t.label} #{t.id}",
            (p1[0], max(12, p1[1] - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            colour,
            1,
        )
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding of the snapshot failed")
    return bytes(jpeg.tobytes())
