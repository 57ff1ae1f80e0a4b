"""Stage 3, detect: the detector backends (real footage where a model is at hand) and the stage."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from services.analytics.pipeline.detect import DetectStage
from services.analytics.pipeline.detectors.base import Detection, Frame, iou
from services.analytics.pipeline.detectors.hog import HogPersonDetector
from services.analytics.pipeline.detectors.motion_blob import MotionBlobDetector
from services.analytics.pipeline.detectors.onnx_yolo import COCO_NAMES, decode, letterbox, to_tensor
from services.analytics.pipeline.detectors.ssd_graph import SsdConfig, ssd_text_graph
from services.analytics.pipeline.detectors.ssdlite import frozen_graph_path
from tests.analytics.pipeline.support import footage_frames


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


def test_motion_blob_detector_labels_moving_things_honestly(footage_avi: Path):
    detector = MotionBlobDetector()
    frames = footage_frames(footage_avi, range(0, 60))
    found = [detector.detect(f) for f in frames]
    assert sum(len(f) for f in found[30:]) >= 30  # walkers are moving blobs once the background is learnt
    assert {d.label for f in found for d in f} == {"moving_object"}
    again = MotionBlobDetector()
    assert [again.detect(f) for f in frames] == found  # same frames, same blobs: replays are stable


def test_hog_fallback_finds_someone_on_a_busy_frame(footage_avi: Path):
    (frame,) = footage_frames(footage_avi, range(300, 301))
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


def test_without_the_ssdlite_weights_the_hog_detector_takes_over(monkeypatch: pytest.MonkeyPatch):
    from services.analytics.pipeline.detectors import build_detector, ssdlite

    monkeypatch.setattr(ssdlite, "PACKAGE", "no_such_weights_package")
    assert build_detector("ssdlite", min_score=0.4).name == "hog"


class _Fixed:
    name = "fixed"
    labels = frozenset({"person"})

    def detect(self, frame: Frame) -> list[Detection]:
        return [Detection("person", 0.9, 10, 10, 50, 90), Detection("person", 0.8, 20, 20, 20, 60)]


def test_the_stage_drops_boxes_without_area_and_times_the_detector():
    result = DetectStage(_Fixed()).run(np.zeros((576, 768, 3), np.uint8))
    assert result.detections == [Detection("person", 0.9, 10, 10, 50, 90)]
    assert result.ms >= 0


def test_the_stage_on_a_busy_frame_of_the_clip(footage_avi: Path):
    (frame,) = footage_frames(footage_avi, range(300, 301))
    result = DetectStage(HogPersonDetector()).run(frame)
    assert result.detections
    assert all(d.area > 0 for d in result.detections)
    assert result.ms > 0


def test_crops_are_detected_at_the_whole_frames_scale_and_mapped_back(footage_avi: Path):
    from services.analytics.pipeline.detectors.yolov4_tiny import YoloV4TinyDetector

    (frame,) = footage_frames(footage_avi, range(300, 301))
    yolo = YoloV4TinyDetector(input_size=416, min_score=0.5)
    stage = DetectStage(yolo)
    whole = stage.run(frame)
    people = [d for d in whole.detections if d.label == "person"]
    assert len(people) >= 4
    target = max(people, key=lambda d: d.score)
    cx, cy = round((target.x1 + target.x2) / 2), round((target.y1 + target.y2) / 2)
    crop = (max(0, cx - 80), max(0, cy - 80), min(768, cx + 80), min(576, cy + 80))
    cropped = stage.run(frame, [crop])
    assert cropped.pixels == (crop[2] - crop[0]) * (crop[3] - crop[1]) < whole.pixels / 10
    again = [d for d in cropped.detections if d.label == "person"]
    assert max(iou((d.x1, d.y1, d.x2, d.y2), (target.x1, target.y1, target.x2, target.y2)) for d in again) > 0.7
    for d in again:  # every box is in frame pixels, inside the crop
        assert crop[0] - 1 <= d.x1 < d.x2 <= crop[2] + 1
        assert crop[1] - 1 <= d.y1 < d.y2 <= crop[3] + 1


class _EdgeFinder:
    """Sees a person cut by the left edge of whatever it is shown, and one wholly inside it."""

    name = "edge"
    labels = frozenset({"person"})

    def detect(self, frame: Frame) -> list[Detection]:
        w = frame.shape[1]
        return [Detection("person", 0.9, 0, 10, 20, 60), Detection("person", 0.8, w / 2, 10, w / 2 + 20, 60)]

    def detect_scaled(self, crop: Frame, frame_size: tuple[int, int]) -> list[Detection]:
        return self.detect(crop)


def test_a_box_cut_by_a_crop_edge_is_dropped_unless_that_edge_is_the_frames():
    frame = np.zeros((576, 768, 3), np.uint8)
    stage = DetectStage(_EdgeFinder())
    inner = stage.run(frame, [(200, 100, 400, 300)])
    assert [(d.x1, d.y1) for d in inner.detections] == [(300, 110)]  # the cut one is gone
    at_frame_edge = stage.run(frame, [(0, 100, 200, 300)])
    assert [(d.x1, d.y1) for d in at_frame_edge.detections] == [(0, 110), (100, 110)]
