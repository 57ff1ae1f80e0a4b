"""One camera's chain of stages on the real clip: gate → detect → track → rules → counts, snapshots."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from services.analytics.pipeline.camera import CameraPipeline
from services.analytics.pipeline.detectors.base import Detection, Frame
from services.analytics.pipeline.detectors.motion_blob import MotionBlobDetector
from services.analytics.pipeline.detectors.pool import Detectors
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


class CentreFinder:
    """Sees one person in the middle of whatever it is shown, and remembers the sizes it was shown."""

    name = "centre"
    labels = frozenset({"person"})

    def __init__(self) -> None:
        self.shown: list[tuple[int, int]] = []

    def detect(self, frame: Frame) -> list[Detection]:
        self.shown.append((frame.shape[1], frame.shape[0]))
        h, w = frame.shape[:2]
        return [Detection("person", 0.9, w / 2 - 10, h / 2 - 30, w / 2 + 10, h / 2 + 30)]


class CentreFinderOfCrops(CentreFinder):
    def detect_scaled(self, crop: Frame, frame_size: tuple[int, int]) -> list[Detection]:
        return self.detect(crop)


def _square_at(frame: Frame, x: int) -> Frame:
    out = frame.copy()
    out[40:100, x : x + 60] = 255
    return out


def test_between_full_detections_only_crops_around_motion_are_detected_and_still_tracks_stay(footage_avi: Path):
    (still,) = footage_frames(footage_avi, range(0, 1))
    finder = CentreFinderOfCrops()
    pipeline = CameraPipeline("c", finder)
    frames = [still, still, _square_at(still, 40), _square_at(still, 50), _square_at(still, 60)]
    times = [0.0, 5.0, 5.1, 5.2, 5.3]
    outcomes = [pipeline.process(f.copy(), T0 + timedelta(seconds=t)) for f, t in zip(frames, times, strict=True)]
    # Two full detections (due every 5 s) confirm the person in the middle of the frame.
    assert [o.regions for o in outcomes[:2]] == [(), ()]
    assert finder.shown[:2] == [(768, 576), (768, 576)]
    assert outcomes[1].detect_pixels == 768 * 576
    for o in outcomes[2:]:
        (crop,) = o.regions  # then only the moving square is looked at
        x1, y1, x2, y2 = crop
        assert x1 <= 40
        assert y1 <= 40
        assert x2 >= 100
        assert y2 >= 100
        assert x2 < 384
        assert o.detect_pixels == (x2 - x1) * (y2 - y1) < 768 * 576 / 4
        (found,) = o.detections  # in frame pixels: the middle of the crop
        assert ((found.x1 + found.x2) / 2, (found.y1 + found.y2) / 2) == pytest.approx(((x1 + x2) / 2, (y1 + y2) / 2))
    # The person in the middle was not looked for, so it stays where it was and is still counted.
    middle = [t for t in outcomes[-1].tracks if abs((t.box[0] + t.box[2]) / 2 - 0.5) < 0.01]
    assert len(middle) == 1
    assert middle[0].misses == 0
    assert len(outcomes[-1].tracks) == 2


def test_a_detector_with_a_fixed_input_gets_whole_frames(footage_avi: Path):
    (still,) = footage_frames(footage_avi, range(0, 1))
    finder = CentreFinder()  # no detect_scaled: every crop would cost a whole frame
    pipeline = CameraPipeline("c", finder)
    pipeline.process(still.copy(), T0)
    moved = pipeline.process(_square_at(still, 40), T0 + timedelta(seconds=1))
    assert moved.detected
    assert moved.regions == ()
    assert finder.shown == [(768, 576), (768, 576)]


def test_a_shared_detector_keeps_taking_crops_and_a_fixed_input_one_does_not(footage_avi: Path):
    (still,) = footage_frames(footage_avi, range(0, 1))
    pool = Detectors(lambda name: CentreFinderOfCrops() if name == "crops" else CentreFinder())
    for name, cropped in (("crops", True), ("fixed", False)):
        pipeline = CameraPipeline("c", pool.get(name))
        pipeline.process(still.copy(), T0)
        moved = pipeline.process(_square_at(still, 40), T0 + timedelta(seconds=1))
        assert bool(moved.regions) is cropped
        assert moved.detect_pixels < 768 * 576 if cropped else moved.detect_pixels == 768 * 576
