"""Stage 2, motion gate: frames in, whether the detector runs out (on the real clip)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from services.analytics.pipeline.gate import GateConfig, MotionDetector, MotionGate
from tests.analytics.pipeline.support import T0, footage_frames


def test_motion_detector_sees_walkers_but_not_a_still_frame(footage_avi: Path):
    frames = footage_frames(footage_avi, range(0, 30))
    moving = MotionDetector()
    results = [moving.update(f) for f in frames]
    assert sum(r.moving for r in results[1:]) >= 25
    still = MotionDetector()
    assert not any(still.update(frames[0].copy()).moving for _ in range(10))
    # A mask over the whole frame hides all motion.
    masked = MotionDetector(masks=[[(0, 0), (1, 0), (1, 1), (0, 1)]])
    assert not any(masked.update(f).moving for f in frames)


def test_the_gate_detects_on_motion_only_while_no_full_detection_is_due(footage_avi: Path):
    frames = footage_frames(footage_avi, range(0, 30))
    gate = MotionGate(GateConfig(full_detect_interval_s=5.0))
    decisions = []
    for i, frame in enumerate(frames):
        at = T0 + timedelta(seconds=i / 10)
        decision = gate.check(frame, at, unsure=False)
        if decision.detect:
            gate.detected(at)
        decisions.append(decision)
    assert decisions[0].detect  # nothing detected yet: a full detection is due
    assert sum(d.detect for d in decisions[1:]) >= 25  # people walk through the scene
    assert all(d.detect == d.motion.moving for d in decisions[1:])


def test_a_still_scene_is_detected_every_full_interval_and_after_a_missed_object(footage_avi: Path):
    (still,) = footage_frames(footage_avi, range(0, 1))
    gate = MotionGate(GateConfig(full_detect_interval_s=5.0))
    detected_at = []
    for i in range(61):  # 6 s at 10 fps
        at = T0 + timedelta(seconds=i / 10)
        if gate.check(still.copy(), at, unsure=False).detect:
            gate.detected(at)
            detected_at.append(round((at - T0).total_seconds(), 1))
    assert detected_at == [0.0, 5.0]
    assert gate.check(still, T0 + timedelta(seconds=6.1), unsure=True).detect


def test_without_gating_or_with_everything_masked(footage_avi: Path):
    frames = footage_frames(footage_avi, range(0, 10))
    ungated = MotionGate(GateConfig(enabled=False))
    assert all(ungated.check(frames[0], T0, unsure=False).detect for _ in range(5))
    masked = MotionGate()
    masked.detected(T0)
    masked.set_masks([[(0, 0), (1, 0), (1, 1), (0, 1)]])
    assert not any(masked.check(f, T0, unsure=False).detect for f in frames)
