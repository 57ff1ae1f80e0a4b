"""One camera's chain of the synchronous stages, run on a worker thread for each decoded frame:
motion gate → detect → track → rules → counts and snapshots. Publishing is the consumer's (async)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.analytics.pipeline.counts import MinuteCount, MinuteCounter
from services.analytics.pipeline.detect import DetectStage
from services.analytics.pipeline.detectors.base import Detection, Detector, Frame
from services.analytics.pipeline.gate import DEFAULT_GATE, GateConfig, MotionGate, Polygon
from services.analytics.pipeline.health import TamperConfig, TamperWatch
from services.analytics.pipeline.rules import Crossing, RuleEngine, RuleSpec, RuleState, Transition
from services.analytics.pipeline.snapshot import snapshot
from services.analytics.pipeline.track import Track, Tracker


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
        gate: GateConfig = DEFAULT_GATE,
        motion_masks: Sequence[Polygon] = (),
        always_detect: bool = False,
        tamper: TamperConfig | None = None,
    ) -> None:
        """``tamper``: the built-in health check's settings (None: off)."""
        self.camera = camera
        self.tamper = TamperWatch(camera, tamper) if tamper is not None else None
        self._gate = MotionGate(gate, masks=motion_masks, always=always_detect)
        self._detect = DetectStage(detector)
        self._tracker = Tracker()
        self._rules = RuleEngine()
        self._counter = MinuteCounter(camera)

    @property
    def rules(self) -> dict[str, RuleState]:
        return self._rules.states

    def set_rules(self, rules: Sequence[RuleSpec], at: datetime | None = None) -> list[Transition]:
        return self._rules.set_rules(rules, at)

    def set_motion_masks(self, masks: Sequence[Polygon]) -> None:
        self._gate.set_masks(masks)

    def process(self, frame: Frame, at: datetime, *, health_suppressed: bool = False) -> FrameOutcome:
        """``health_suppressed``: the camera is under maintenance (no tamper alert; an open one ends)."""
        gate = self._gate.check(frame, at, unsure=self._tracker.unsure)
        h, w = frame.shape[:2]
        detections: list[Detection] = []
        detect_ms = 0.0
        if gate.detect:
            found = self._detect.run(frame)
            detections, detect_ms = found.detections, found.ms
            self._gate.detected(at)
            self._tracker.update(detections, (w, h), at)
        # Without a detection (nothing moved) every object is where it was last seen: tracks neither
        # move nor age.
        tracks = self._tracker.tracks()
        result = self._rules.step(at, tracks)
        crossings: list[tuple[str, str, str]] = [
            (c.rule.id, c.rule.object_class, c.direction) for c in result.crossings
        ]
        closed = self._counter.add(at, result.occupancy, crossings)
        health: list[Transition] = []
        if self.tamper is not None:
            health = self.tamper.suppress(at) if health_suppressed else self.tamper.step(frame, at)
        transitions = result.transitions + health
        outcome = FrameOutcome(
            at,
            gate.detect,
            detect_ms,
            gate.motion.ratio,
            detections,
            tracks.present,
            transitions,
            result.crossings,
            closed,
            (w, h),
        )
        for tr in transitions:
            if tr.phase != "ended":
                outcome.snapshots[tr.alert_id] = snapshot(frame, tracks.present, tr)
        return outcome

    def open_minutes(self) -> list[MinuteCount]:
        return self._counter.current()

    def close(self, at: datetime) -> list[Transition]:
        return self._rules.close(at) + (self.tamper.close(at) if self.tamper is not None else [])
