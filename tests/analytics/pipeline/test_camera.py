"""One camera's chain of stages on the real clip: gate → detect → track → rules → counts, snapshots."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from services.analytics.pipeline.camera import CameraPipeline
from services.analytics.pipeline.detectors.motion_blob import MotionBlobDetector
from services.analytics.pipeline.rules import RuleSpec
from tests.analytics.pipeline.support import T0, footage_frames

FULL = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


def test_walkers_are_detected_tracked_and_raise_an_alert_with_a_snapshot(footage_avi: Path):
    pipeline = CameraPipeline("c", MotionBlobDetector())
    pipeline.set_rules([RuleSpec("r", "c", "anything", "crowd", "moving_object", zone=FULL)])
    outcomes = [
        pipeline.process(frame, T0 + timedelta(seconds=i / 10))
        for i, frame in enumerate(footage_frames(footage_avi, range(0, 80)))
    ]
    assert all(o.size == (768, 576) for o in outcomes)
    assert sum(o.detected for o in outcomes) >= 70
    assert max(len(o.tracks) for o in outcomes) >= 1
    started = [(o, t) for o in outcomes for t in o.transitions if t.phase == "started"]
    assert started
    outcome, transition = started[0]
    assert outcome.snapshots[transition.alert_id][:2] == b"\xff\xd8"  # a JPEG
    (minute,) = pipeline.open_minutes()
    assert (minute.rule_id, minute.samples) == ("r", 80)
    assert minute.occupancy_max >= 1


def test_a_still_scene_is_detected_only_every_full_interval(footage_avi: Path):
    (still,) = footage_frames(footage_avi, range(0, 1))
    pipeline = CameraPipeline("c", MotionBlobDetector())
    outcomes = [pipeline.process(still.copy(), T0 + timedelta(seconds=i / 10)) for i in range(61)]
    assert [round((o.at - T0).total_seconds(), 1) for o in outcomes if o.detected] == [0.0, 5.0]
    assert all(o.motion_ratio == 0.0 for o in outcomes)
