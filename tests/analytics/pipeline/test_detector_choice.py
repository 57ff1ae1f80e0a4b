"""Which detector a camera runs (camera > category > default), models shared between cameras, the
category a frame carries, and each rule's confidence limit."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy as np

from services.analytics.pipeline.camera import CameraPipeline
from services.analytics.pipeline.detectors.base import Detection, Frame
from services.analytics.pipeline.detectors.choice import VEHICLE_CATEGORIES, CameraDetectors, choose_detector
from services.analytics.pipeline.detectors.pool import Detectors, SharedDetector
from services.analytics.pipeline.rules import RuleSpec, RuleState
from shared.messages import FrameHeaders
from tests.analytics.pipeline.support import T0, ZONE, track


def test_the_camera_s_choice_beats_its_category_s_which_beats_the_default():
    by_category = {"traffic_route": "yolov4_tiny", "beach": "hog"}

    def choose(camera: str | None, category: str | None) -> str:
        return choose_detector(camera_choice=camera, category=category, by_category=by_category, default="ssdlite")

    assert choose(None, None) == "ssdlite"
    assert choose(None, "market") == "ssdlite"  # a category without an entry
    assert choose(None, "traffic_route") == "yolov4_tiny"
    assert choose(None, "beach") == "hog"
    assert choose("motion_blob", "traffic_route") == "motion_blob"
    assert choose("ssdlite", None) == "ssdlite"
    # Out of the box, road and car-park cameras get the vehicle model.
    assert VEHICLE_CATEGORIES["traffic_route"] == "yolov4_tiny"
    assert VEHICLE_CATEGORIES["parking"] == "yolov4_tiny"


class _Counting:
    """A stand-in model that counts how often it is loaded and how many callers run it at once."""

    built = 0

    def __init__(self, name: str) -> None:
        type(self).built += 1
        self.name = name
        self.labels = frozenset({"person"})
        self.busy = False

    def detect(self, frame: Frame) -> list[Detection]:
        assert not self.busy, "one copy run by two threads at once"
        self.busy = True
        threading.Event().wait(0.02)
        self.busy = False
        return [Detection("person", 0.9, 0, 0, 1, 1)]


def test_cameras_share_one_model_and_a_per_camera_detector_is_never_shared():
    _Counting.built = 0
    detectors = CameraDetectors(_Counting, default="ssdlite", by_category={"traffic_route": "yolov4_tiny"})
    detectors.categories.update({"road-1": "traffic_route", "road-2": "traffic_route", "square": None})
    detectors.choices["square-2"] = "motion_blob"
    assert detectors.kind("road-1") == "yolov4_tiny"
    assert detectors.kind("square") == "ssdlite"
    assert detectors.kind("square-2") == "motion_blob"
    road = detectors.get(detectors.kind("road-1"))
    assert detectors.get(detectors.kind("road-2")) is road
    assert detectors.get("ssdlite") is not road
    assert _Counting.built == 2
    # motion_blob learns its own camera's background.
    assert detectors.get("motion_blob") is not detectors.get("motion_blob")
    assert _Counting.built == 4


def test_a_shared_model_lends_each_concurrent_caller_a_copy_of_its_own():
    _Counting.built = 0
    shared = SharedDetector(lambda: _Counting("yolov4_tiny"))
    assert shared.name == "yolov4_tiny"
    frame = np.zeros((8, 8, 3), np.uint8)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(len(shared.detect(frame)))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [1, 1, 1, 1]
    # Never more copies than callers at once; sequential callers reuse the idle ones.
    assert 1 <= shared.copies <= 4
    built = _Counting.built
    for _ in range(5):
        shared.detect(frame)
    assert _Counting.built == built


def test_models_load_once_even_when_cameras_start_on_several_threads():
    _Counting.built = 0
    detectors = Detectors(_Counting)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(detectors.get("yolov4_tiny"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(g) for g in got}) == 1
    assert _Counting.built == 1


def test_frames_carry_the_camera_category_and_frames_without_it_still_parse():
    at = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    headers = FrameHeaders(camera="road-1", seq=3, captured_at=at, width=768, height=576, category="traffic_route")
    wire = headers.to_headers()
    assert wire["Cityops-Category"] == "traffic_route"
    assert FrameHeaders.from_headers(wire) == headers
    old = FrameHeaders(camera="road-1", seq=3, captured_at=at, width=768, height=576).to_headers()
    assert "Cityops-Category" not in old
    assert FrameHeaders.from_headers(old).category is None


def test_a_rule_ignores_objects_scored_below_its_min_confidence():
    sure, unsure = track(1, 0.3, 0.8, label="car"), track(2, 0.6, 0.8, label="car")
    sure.score, unsure.score = 0.8, 0.3
    strict = RuleState(RuleSpec("r", "c", "parked", "crowd", "car", zone=ZONE, min_confidence=0.5))
    lenient = RuleState(RuleSpec("s", "c", "parked", "crowd", "car", zone=ZONE, min_confidence=0.25))
    assert strict.occupancy([sure, unsure]) == 1
    assert lenient.occupancy([sure, unsure]) == 2


class _Labelled:
    def __init__(self, name: str, label: str) -> None:
        self.name, self.labels, self._label = name, frozenset({label}), label

    def detect(self, frame: Frame) -> list[Detection]:
        return [Detection(self._label, 0.9, 10, 10, 60, 40)]


def test_a_camera_switches_detector_between_frames():
    still = np.zeros((120, 160, 3), np.uint8)
    pipeline = CameraPipeline("c", _Labelled("ssdlite", "person"))
    assert pipeline.detector_name == "ssdlite"
    first = pipeline.process(still, T0)
    assert first.detected
    assert [d.label for d in first.detections] == ["person"]
    # The region gate looks once more at an object seen once (confirming it), then nothing moved.
    assert pipeline.process(still, T0 + timedelta(seconds=0.1)).detected
    assert not pipeline.process(still, T0 + timedelta(seconds=0.2)).detected
    # A detector that is itself a motion detector runs on every frame.
    pipeline.set_detector(_Labelled("motion_blob", "moving_object"), always_detect=True)
    assert pipeline.detector_name == "motion_blob"
    after = pipeline.process(still, T0 + timedelta(seconds=0.4))
    assert after.detected
    assert [d.label for d in after.detections] == ["moving_object"]
    pipeline.set_detector(_Labelled("yolov4_tiny", "car"))
    # The person the motion detector missed is looked for again, now by the new detector.
    last = pipeline.process(still, T0 + timedelta(seconds=0.6))
    assert last.detected
    assert [d.label for d in last.detections] == ["car"]
