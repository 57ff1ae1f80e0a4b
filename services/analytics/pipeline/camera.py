"""One camera's chain of the synchronous stages, run on a worker thread for each decoded frame:
motion gate → detect → track → rules → counts and snapshots. Publishing is the consumer's (async)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.analytics.pipeline.counts import TRAFFIC_PERIOD_S, MinuteCount, MinuteCounter, TrafficPeriod, period_of
from services.analytics.pipeline.decode import decode
from services.analytics.pipeline.detect import DetectStage, crops_pay_off
from services.analytics.pipeline.detectors.base import Detection, Detector, Frame
from services.analytics.pipeline.gate import DEFAULT_GATE, GateConfig, MotionGate, Polygon
from services.analytics.pipeline.health import TamperConfig, TamperWatch
from services.analytics.pipeline.rules import Crossing, RuleEngine, RuleSpec, RuleState, Transition
from services.analytics.pipeline.snapshot import snapshot
from services.analytics.pipeline.snooze import Snooze
from services.analytics.pipeline.track import TRACK_THRESHOLDS, Track, Tracker


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
    closed_periods: list[TrafficPeriod] = field(default_factory=list)
    suppressed: list[RuleSpec] = field(default_factory=list)  # alert starts a snooze held back
    detect_pixels: int = 0  # pixels the detector was given (0: it did not run)
    regions: tuple[tuple[int, int, int, int], ...] = ()  # crops detected (empty: the whole frame)


class CameraPipeline:
    def __init__(
        self,
        camera: str,
        detector: Detector,
        *,
        gate: GateConfig = DEFAULT_GATE,
        motion_masks: Sequence[Polygon] = (),
        always_detect: bool = False,
        tamper: TamperConfig | None = None,
        traffic_period_s: int = TRAFFIC_PERIOD_S,
    ) -> None:
        """``tamper``: the built-in health check's settings (None: off); ``traffic_period_s``: the period
        of the line rules' traffic counts."""
        self.camera = camera
        self.tamper = TamperWatch(camera, tamper) if tamper is not None else None
        self._gate = MotionGate(gate, masks=motion_masks)
        self._detect = DetectStage(detector)
        self._crops = crops_pay_off(detector)
        self._detector_name = detector.name
        self._always_detect = always_detect
        self._tracker = Tracker(thresholds=TRACK_THRESHOLDS.get(detector.name))
        self._rules = RuleEngine()
        self._counter = MinuteCounter(camera, math.gcd(traffic_period_s, 60))
        self._period_s = traffic_period_s
        self._period: tuple[datetime, datetime] | None = None

    @property
    def rules(self) -> dict[str, RuleState]:
        return self._rules.states

    def set_rules(self, rules: Sequence[RuleSpec], at: datetime | None = None) -> list[Transition]:
        return self._rules.set_rules(rules, at)

    def set_snoozes(self, snoozes: Sequence[Snooze]) -> None:
        """Takes effect from the next frame; an open alert is not touched."""
        self._rules.snoozes = tuple(snoozes)

    def set_motion_masks(self, masks: Sequence[Polygon]) -> None:
        self._gate.set_masks(masks)

    @property
    def detector_name(self) -> str:
        return self._detector_name

    def set_detector(self, detector: Detector, *, always_detect: bool = False) -> None:
        """Tracks and rule states stay; objects the new detector does not report age out of the tracker."""
        self._detect = DetectStage(detector)
        self._crops = crops_pay_off(detector)
        self._detector_name = detector.name
        self._always_detect = always_detect
        self._tracker.thresholds = TRACK_THRESHOLDS.get(detector.name, {})

    def process_jpeg(self, payload: bytes, at: datetime, health_suppressed: bool = False) -> FrameOutcome:
        """The CPU-bound stages of one frame as it comes off the bus, on a worker thread."""
        return self.process(decode(payload), at, health_suppressed=health_suppressed)

    def process(self, frame: Frame, at: datetime, *, health_suppressed: bool = False) -> FrameOutcome:
        """``health_suppressed``: the camera is under maintenance (no tamper alert; an open one ends)."""
        gate = self._gate.check(frame, at, unsure=self._tracker.unsure, revisit=self._tracker.revisit_boxes())
        h, w = frame.shape[:2]
        detections: list[Detection] = []
        detect_ms = 0.0
        pixels = 0
        # A detector that is itself a motion detector (motion_blob) runs on every frame; crops go only
        # to detectors that run them at a smaller input (the others would pay a whole frame per crop).
        regions = gate.regions if self._crops else ()
        run = gate.detect or self._always_detect
        if run:
            found = self._detect.run(frame, regions)
            detections, detect_ms, pixels = found.detections, found.ms, found.pixels
            covered = None
            if regions:
                covered = [(x1 / w, y1 / h, x2 / w, y2 / h) for x1, y1, x2, y2 in regions]
            else:
                self._gate.detected(at)
            self._tracker.update(detections, (w, h), at, covered=covered)
        # Without a detection (nothing moved) every object is where it was last seen: tracks neither
        # move nor age.
        tracks = self._tracker.tracks()
        result = self._rules.step(at, tracks)
        crossings: list[tuple[str, str, str]] = [(c.rule.id, c.object_class, c.direction) for c in result.crossings]
        closed = self._counter.add(at, result.occupancy, crossings)
        health: list[Transition] = []
        if self.tamper is not None:
            health = self.tamper.suppress(at) if health_suppressed else self.tamper.step(frame, at)
        transitions = result.transitions + health
        outcome = FrameOutcome(
            at,
            run,
            detect_ms,
            gate.motion.ratio,
            detections,
            tracks.present,
            transitions,
            result.crossings,
            closed,
            (w, h),
            suppressed=result.suppressed,
            detect_pixels=pixels,
            regions=regions,
        )
        outcome.closed_periods = self._closed_periods(at)
        for tr in transitions:
            if tr.phase != "ended":
                outcome.snapshots[tr.alert_id] = snapshot(frame, tracks.present, tr)
        return outcome

    def _closed_periods(self, at: datetime) -> list[TrafficPeriod]:
        """The line rules' traffic period that frame time has just left (frames of a later period only)."""
        period = period_of(at, self._period_s)
        last, closed = self._period, []
        if last is None or period[0] > last[0]:
            self._period = period
        if last is not None and period[0] > last[0]:
            closed = [
                TrafficPeriod(s.rule, *last) for s in self._rules.states.values() if s.rule.type == "line_crossing"
            ]
        return closed

    def open_minutes(self) -> list[MinuteCount]:
        return self._counter.current()

    def close(self, at: datetime) -> list[Transition]:
        return self._rules.close(at) + (self.tamper.close(at) if self.tamper is not None else [])
