"""Stage 2, motion gate: frames in, whether the detector runs out (on the real clip)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from services.analytics.pipeline.gate import GateConfig, MotionDetector, MotionGate, RegionConfig, crop_regions
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


def test_motion_boxes_become_padded_crops_of_a_minimum_size_inside_the_frame():
    cfg = RegionConfig(pad=0.5, min_pad_px=24, min_size_px=192, full_ratio=0.5)
    size = (768, 576)
    # A person-sized box (40x80 px) in the middle: padded by 40 px each way, then widened to 192.
    (crop,) = crop_regions([(300 / 768, 200 / 576, 340 / 768, 280 / 576)], size, cfg)
    assert crop == (224, 144, 416, 336)
    # A box in the corner is moved inside the frame, never cut smaller than the minimum.
    (corner,) = crop_regions([(0.99, 0.99, 1.0, 1.0)], size, cfg)
    assert corner == (576, 384, 768, 576)
    # A large box keeps its padded size.
    (big,) = crop_regions([(0.1, 0.1, 0.5, 0.6)], size, cfg)
    assert big[2] - big[0] > 192
    assert big[0] == 0


def test_crops_that_touch_are_merged_and_apart_ones_stay_apart():
    cfg = RegionConfig(pad=0.5, min_pad_px=24, min_size_px=192)
    size = (1920, 1080)
    near = [(0.10, 0.10, 0.12, 0.15), (0.15, 0.12, 0.17, 0.17)]
    far = [(0.80, 0.70, 0.82, 0.75)]
    crops = crop_regions([*near, *far], size, cfg)
    assert len(crops) == 2
    merged, alone = crops
    for box in near:  # every motion box lies inside its crop
        x1, y1, x2, y2 = box[0] * 1920, box[1] * 1080, box[2] * 1920, box[3] * 1080
        assert merged[0] <= x1
        assert merged[1] <= y1
        assert x2 <= merged[2]
        assert y2 <= merged[3]
    assert alone[0] > merged[2]
    # Three crops in a chain (a touches b, b touches c) end as one.
    chain = [(0.1 + 0.09 * k, 0.5, 0.11 + 0.09 * k, 0.52) for k in range(3)]
    assert len(crop_regions(chain, size, cfg)) == 1


def test_between_full_detections_the_gate_asks_for_crops_around_the_walkers(footage_avi: Path):
    frames = footage_frames(footage_avi, range(0, 20))
    gate = MotionGate(GateConfig(full_detect_interval_s=5.0))
    first = gate.check(frames[0], T0, unsure=False)
    assert first.full  # nothing detected yet
    gate.detected(T0)
    cropped = []
    for i, frame in enumerate(frames[1:], start=1):
        decision = gate.check(frame, T0 + timedelta(seconds=i / 10), unsure=False)
        if decision.detect and not decision.full:
            cropped.append(decision)
    assert len(cropped) >= 10  # people walk in every frame; mostly only crops are asked for
    for decision in cropped:
        area = sum((x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in decision.regions)
        assert area < 0.6 * 768 * 576
        for x1, y1, x2, y2 in decision.regions:
            assert x2 - x1 >= 160
            assert y2 - y1 >= 160
        for bx1, by1, bx2, by2 in decision.motion.boxes:  # every moving thing is inside a crop
            assert any(
                x1 <= bx1 * 768 + 1 and y1 <= by1 * 576 + 1 and bx2 * 768 - 1 <= x2 and by2 * 576 - 1 <= y2
                for x1, y1, x2, y2 in decision.regions
            )
    # The full detection is still due every 5 s, whatever moves.
    assert gate.check(frames[0], T0 + timedelta(seconds=5), unsure=False).full


def test_a_missed_object_is_looked_for_where_it_was(footage_avi: Path):
    (still,) = footage_frames(footage_avi, range(0, 1))
    gate = MotionGate()
    gate.check(still, T0, unsure=False)
    gate.detected(T0)
    at = T0 + timedelta(seconds=1)
    assert not gate.check(still.copy(), at, unsure=False).detect
    revisit = gate.check(still.copy(), at, unsure=True, revisit=[(0.5, 0.5, 0.55, 0.65)])
    (crop,) = revisit.regions
    assert crop[0] <= 0.5 * 768
    assert crop[2] >= 0.55 * 768
    assert crop[1] <= 0.5 * 576
    assert crop[3] >= 0.65 * 576
    assert gate.check(still.copy(), at, unsure=True).full  # no box given: the whole frame
    # Whole-frame gating (the former behaviour) never asks for crops.
    whole = MotionGate(GateConfig(regions=False))
    whole.detected(T0)
    assert whole.check(still.copy(), at, unsure=True, revisit=[(0.5, 0.5, 0.55, 0.65)]).full
