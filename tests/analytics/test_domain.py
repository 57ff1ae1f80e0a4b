"""Domain pieces on their own: geometry, rules lifecycle, tracker, YOLO post-processing, detectors."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from services.analytics.geometry import polygon_problem
from services.analytics.pipeline.detectors.base import Detection
from services.analytics.pipeline.detectors.hog import HogPersonDetector
from services.analytics.pipeline.detectors.motion_blob import MotionBlobDetector
from services.analytics.pipeline.detectors.onnx_yolo import COCO_NAMES, decode, letterbox, to_tensor
from services.analytics.pipeline.detectors.ssd_graph import SsdConfig, ssd_text_graph
from services.analytics.pipeline.detectors.ssdlite import frozen_graph_path
from services.analytics.pipeline.gate import MotionDetector
from services.analytics.pipeline.rules import RuleSpec, RuleState
from services.analytics.pipeline.track import Track, Tracker

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
ZONE = ((0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0))  # lower half


def track(tid: int, x: float, y: float, at: datetime = T0, label: str = "person") -> Track:
    """A person whose feet are at (x, y)."""
    t = Track(tid, label, (x - 0.02, y - 0.1, x + 0.02, y), 0.9, at, at)
    t.path.append((at, x, y))
    return t


def test_polygon_checks():
    assert polygon_problem([[0.1, 0.1], [0.9, 0.1], [0.5, 0.9]]) is None
    assert "cross" in (polygon_problem([[0, 0], [1, 1], [1, 0], [0, 1]]) or "")
    assert "normalised" in (polygon_problem([[0, 0], [2, 0], [0, 1]]) or "")
    assert polygon_problem([[0, 0], [1, 0]]) is not None


def test_crowd_waits_min_duration_updates_on_peak_and_ends_after_cooldown():
    rule = RuleSpec("r", "c", "crowd", "crowd", "person", zone=ZONE, min_count=2, min_duration_s=2, cooldown_s=3)
    state = RuleState(rule)
    phases = []
    for i in range(120):  # 10 fps, 12 s
        at = T0 + timedelta(seconds=i / 10)
        people = [track(1, 0.2, 0.8), track(2, 0.4, 0.8)] if i < 80 else []
        if 20 <= i < 80:
            people.append(track(3, 0.6, 0.9))
        if 30 <= i < 35:
            people.append(track(4, 0.7, 0.9))  # a short peak of 4, published with the next update
        people.append(track(9, 0.5, 0.2))  # outside the zone: never counted
        transitions, _ = state.step(at, people)
        phases += [(t.phase, round((t.at - T0).total_seconds(), 1), t.count, t.peak) for t in transitions]
    # Pending from 0 s, started at 2 s (3 people by then), peak 4 at 3 s published at the next update
    # slot (7 s, 5 s after the start), last crowded frame 7.9 s, ended 3 s later.
    assert phases == [("started", 2.0, 3, 3), ("updated", 7.0, 3, 4), ("ended", 10.9, 0, 4)]


def test_intrusion_only_inside_its_night_window():
    rule = RuleSpec(
        "r", "c", "intrusion", "intrusion", "person", zone=ZONE, active_from=time(20, 0), active_to=time(5, 0)
    )
    # 12:00 UTC is 19:00 in Vietnam (outside), 14:00 UTC is 21:00 (inside).
    day, night = RuleState(rule), RuleState(rule)
    assert day.step(T0, [track(1, 0.5, 0.8)])[0] == []
    started = night.step(T0 + timedelta(hours=2), [track(1, 0.5, 0.8)])[0]
    assert [t.phase for t in started] == ["started"]


def test_loitering_and_stationary_need_the_same_object_for_min_duration():
    loiter = RuleState(RuleSpec("l", "c", "l", "loitering", "person", zone=ZONE, min_duration_s=5))
    still = RuleState(RuleSpec("s", "c", "s", "stationary", "car", zone=ZONE, min_duration_s=5, max_movement=0.02))
    walker = track(1, 0.1, 0.8)
    car = track(2, 0.5, 0.9, label="car")
    got: dict[str, list[float]] = {"l": [], "s": []}
    for i in range(80):
        at = T0 + timedelta(seconds=i / 10)
        walker.path.append((at, 0.1 + i * 0.005, 0.8))
        walker.box = (0.08 + i * 0.005, 0.7, 0.12 + i * 0.005, 0.8)
        car.path.append((at, 0.5, 0.9))
        for key, state, objects in (("l", loiter, [walker]), ("s", still, [car, walker])):
            for t in state.step(at, objects)[0]:
                got[key].append((t.at - T0).total_seconds())
    assert got["l"] == [5.0]  # the walker stayed in the zone 5 s
    assert got["s"] == [5.0]  # only the car stood still; the walker moved


def test_line_crossing_counts_each_direction_once():
    rule = RuleSpec("x", "c", "x", "line_crossing", "person", line=((0.5, 0.0), (0.5, 0.8)))
    state = RuleState(rule)
    directions = []
    for i in range(20):
        at = T0 + timedelta(seconds=i)
        left_to_right = track(1, 0.3 + i * 0.03, 0.5, at)
        right_to_left = track(2, 0.8 - i * 0.03, 0.6, at)
        passes_beside = track(3, 0.3 + i * 0.03, 0.95, at)  # below the line's end: not a crossing
        objects = [left_to_right, right_to_left, passes_beside]
        directions += [(c.track_id, c.direction) for c in state.step(at, objects)[1]]
    # "in" is from the left of a→b to its right; with a→b pointing down the image, left is x < 0.5.
    assert sorted(directions) == [(1, "in"), (2, "out")]


def test_tracker_keeps_ids_for_walking_people():
    tracker = Tracker(min_hits=2)
    ids = []
    for i in range(10):
        at = T0 + timedelta(seconds=i / 10)
        dets = [
            Detection("person", 0.9, 100 + 3 * i, 100, 130 + 3 * i, 180),
            Detection("person", 0.8, 400 - 3 * i, 200, 430 - 3 * i, 280),
        ]
        ids.append(sorted(t.id for t in tracker.update(dets, (768, 576), at)))
    assert ids[0] == []  # not confirmed before its second sighting
    assert all(i == [1, 2] for i in ids[1:])


def test_yolo_letterbox_and_decoding_round_trip():
    """Boxes written into a YOLO output tensor in letterbox space come back in frame pixels."""
    frame = np.zeros((576, 768, 3), np.uint8)
    image, box = letterbox(frame, 640)
    assert image.shape == (640, 640, 3)
    assert box.scale == pytest.approx(640 / 768)
    assert box.pad_x == 0
    assert box.pad_y == 80
    tensor = to_tensor(image)
    assert tensor.shape == (1, 3, 640, 640)
    assert tensor.dtype == np.float32
    assert tensor.max() <= 1.0
    assert image[0, 0].tolist() == [114, 114, 114]
    assert image[100, 100].tolist() == [0, 0, 0]

    # A person at (100, 50)-(160, 230) and a car at (400, 300)-(700, 500), in frame pixels.
    def letterboxed(x1, y1, x2, y2):
        s = box.scale
        return [(x1 + x2) / 2 * s + box.pad_x, (y1 + y2) / 2 * s + box.pad_y, (x2 - x1) * s, (y2 - y1) * s]

    nc = len(COCO_NAMES)
    rows = np.zeros((5, 4 + nc), np.float32)
    rows[0, :4], rows[0, 4 + 0] = letterboxed(100, 50, 160, 230), 0.9  # person
    rows[1, :4], rows[1, 4 + 0] = letterboxed(102, 52, 161, 228), 0.6  # duplicate of the person: NMS drops it
    rows[2, :4], rows[2, 4 + 2] = letterboxed(400, 300, 700, 500), 0.8  # car
    rows[3, :4], rows[3, 4 + 8] = letterboxed(10, 10, 50, 50), 0.95  # boat: not a cityops class
    rows[4, :4], rows[4, 4 + 7] = letterboxed(600, 10, 700, 60), 0.2  # truck below the score threshold
    v8 = rows.T[None]  # YOLOv8 layout [1, 4 + C, N]
    found = decode(v8, box, COCO_NAMES, frame_size=(768, 576), min_score=0.4)
    assert [d.label for d in found] == ["person", "car"]
    person, car = found
    assert (person.x1, person.y1, person.x2, person.y2) == pytest.approx((100, 50, 160, 230), abs=0.5)
    assert (car.x1, car.y1, car.x2, car.y2) == pytest.approx((400, 300, 700, 500), abs=0.5)

    # YOLOv5 layout [1, N, 5 + C]: objectness × class score.
    v5 = np.zeros((1, 2, 5 + nc), np.float32)
    v5[0, 0, :4], v5[0, 0, 4], v5[0, 0, 5 + 3] = letterboxed(200, 100, 260, 160), 0.9, 0.9  # motorcycle
    v5[0, 1, :4], v5[0, 1, 4], v5[0, 1, 5 + 5] = letterboxed(300, 100, 500, 200), 0.5, 0.5  # bus, 0.25 < 0.4
    (moto,) = decode(v5, box, COCO_NAMES, frame_size=(768, 576), min_score=0.4)
    assert moto.label == "motorbike"
    assert moto.score == pytest.approx(0.81)


def test_ssd_text_graph_has_the_detection_head():
    text = ssd_text_graph(frozen_graph_path(), SsdConfig(num_classes=1))
    assert text.count('op: "PriorBox"') == 6
    assert 'name: "detection_out"' in text
    assert "Postprocessor/" not in text
    assert "Preprocessor/" not in text


def _frames(path: Path, indices: range) -> list[np.ndarray]:
    out = []
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in indices:
                out.append(frame.to_ndarray(format="bgr24"))
            if i >= indices.stop:
                break
    return out


def test_motion_detector_sees_walkers_but_not_a_still_frame(footage_avi: Path):
    frames = _frames(footage_avi, range(0, 30))
    moving = MotionDetector()
    results = [moving.update(f) for f in frames]
    assert sum(r.moving for r in results[1:]) >= 25
    still = MotionDetector()
    assert not any(still.update(frames[0].copy()).moving for _ in range(10))
    # A mask over the whole frame hides all motion.
    masked = MotionDetector(masks=[[(0, 0), (1, 0), (1, 1), (0, 1)]])
    assert not any(masked.update(f).moving for f in frames)


def test_motion_blob_detector_labels_moving_things_honestly(footage_avi: Path):
    detector = MotionBlobDetector()
    frames = _frames(footage_avi, range(0, 60))
    found = [detector.detect(f) for f in frames]
    assert sum(len(f) for f in found[30:]) >= 30  # walkers are moving blobs once the background is learnt
    assert {d.label for f in found for d in f} == {"moving_object"}
    again = MotionBlobDetector()
    assert [again.detect(f) for f in frames] == found  # same frames, same blobs: replays are stable


def test_hog_fallback_finds_someone_on_a_busy_frame(footage_avi: Path):
    (frame,) = _frames(footage_avi, range(300, 301))
    found = HogPersonDetector().detect(cv2.resize(frame, (768, 576)))
    assert all(d.label == "person" for d in found)
    assert len(found) >= 1


def test_onnx_backend_runs_a_yolo_format_model(tmp_path: Path):
    """A stand-in YOLOv8-format model (320 px input, fixed output) through onnxruntime: input size read
    from the model, letterbox, inference, decoding and class mapping. Not a detector: no model that
    detects vehicles can be had offline here."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from services.analytics.pipeline.detectors.onnx_yolo import OnnxYoloDetector

    nc = len(COCO_NAMES)
    scale, pad_y = 320 / 768, (320 - 576 * 320 / 768) / 2
    raw = np.zeros((1, 4 + nc, 2), np.float32)
    # A car at (400, 300)-(700, 500) in frame pixels, written in the model's letterboxed coordinates.
    raw[0, :4, 0] = [550 * scale, 400 * scale + pad_y, 300 * scale, 200 * scale]
    raw[0, 4 + 2, 0] = 0.7
    raw[0, :4, 1] = [10, 10, 5, 5]
    raw[0, 4 + 4, 1] = 0.9  # an airplane: not a cityops class
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=1),
            helper.make_node("Reshape", ["mean", "shape"], ["mean3"]),
            helper.make_node("Mul", ["mean3", "zero"], ["nothing"]),
            helper.make_node("Add", ["raw", "nothing"], ["output0"]),
        ],
        "stand_in",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 320, 320])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 4 + nc, 2])],
        initializer=[
            numpy_helper.from_array(raw, "raw"),
            numpy_helper.from_array(np.array([1, 1, 1], np.int64), "shape"),
            numpy_helper.from_array(np.zeros((1,), np.float32), "zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = tmp_path / "stand_in.onnx"
    onnx.save(model, str(path))

    detector = OnnxYoloDetector(path, min_score=0.4)
    assert {"person", "car", "bus", "truck", "motorbike", "bicycle"} <= detector.labels
    (car,) = detector.detect(np.zeros((576, 768, 3), np.uint8))
    assert car.label == "car"
    assert (car.x1, car.y1, car.x2, car.y2) == pytest.approx((400, 300, 700, 500), abs=1.0)


class _NoDetector:
    name = "none"
    labels = frozenset({"person"})

    def detect(self, frame: np.ndarray) -> list[Detection]:
        return []


def test_deleting_a_rule_ends_its_open_alert():
    from services.analytics.pipeline.camera import CameraPipeline

    rule = RuleSpec("r", "c", "crowd", "crowd", "person", zone=ZONE)
    pipeline = CameraPipeline("c", _NoDetector())
    pipeline.set_rules([rule])
    (started,) = pipeline.rules["r"].step(T0, [track(1, 0.5, 0.8)])[0]
    edited = RuleSpec("r", "c", "crowd", "crowd", "person", zone=ZONE, min_count=1, cooldown_s=60)
    assert pipeline.set_rules([edited], T0) == []  # an edited rule keeps its open alert
    assert pipeline.rules["r"].active is not None
    (ended,) = pipeline.set_rules([], T0 + timedelta(seconds=1))
    assert ended.phase == "ended"
    assert ended.alert_id == started.alert_id


def test_without_the_ssdlite_weights_the_hog_detector_takes_over(monkeypatch: pytest.MonkeyPatch):
    from services.analytics.pipeline.detectors import build_detector, ssdlite

    monkeypatch.setattr(ssdlite, "PACKAGE", "no_such_weights_package")
    assert build_detector("ssdlite", min_score=0.4).name == "hog"


def test_a_zone_counts_only_objects_of_its_size():
    rule = RuleSpec("r", "c", "cars", "crowd", "moving_object", zone=ZONE, min_object_area=0.01, max_object_area=0.2)
    state = RuleState(rule)
    small = track(1, 0.3, 0.8, label="moving_object")  # 0.04 × 0.1 = 0.004 of the frame
    car = track(2, 0.6, 0.9, label="moving_object")
    car.box = (0.5, 0.7, 0.7, 0.9)  # 0.04 of the frame
    huge = track(3, 0.5, 0.99, label="moving_object")
    huge.box = (0.0, 0.3, 1.0, 0.99)  # a whole-frame change (light switched on), not an object
    assert state.occupancy([small, car, huge]) == 1
