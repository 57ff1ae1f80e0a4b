"""YOLO-format ONNX models (people and vehicles) through onnxruntime, for operator-supplied model files.

Pre-processing: letterbox to the square model input (aspect kept, grey padding), RGB, /255, NCHW.
Post-processing: both common output layouts are read — YOLOv8-style ``[1, 4 + C, N]`` (class scores only)
and YOLOv5-style ``[1, N, 5 + C]`` (objectness × class score) — then class-wise NMS, boxes mapped back
from the letterbox to the frame, and model class names mapped to cityops classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from services.analytics.pipeline.detectors.base import Detection, Frame

# COCO class names (the usual YOLO training set) → the classes rules can use; others are ignored.
COCO_TO_CITYOPS: Mapping[str, str] = {
    "person": "person",
    "bicycle": "bicycle",
    "car": "car",
    "motorcycle": "motorbike",
    "bus": "bus",
    "truck": "truck",
}
# The 80 COCO classes in the order YOLO models trained on COCO output them.
# fmt: off
COCO_NAMES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic_light", "fire_hydrant", "stop_sign", "parking_meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag",
    "tie", "suitcase", "frisbee", "skis", "snowboard", "sports_ball", "kite", "baseball_bat",
    "baseball_glove", "skateboard", "surfboard", "tennis_racket", "bottle", "wine_glass", "cup", "fork",
    "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot_dog",
    "pizza", "donut", "cake", "chair", "couch", "potted_plant", "bed", "dining_table", "toilet", "tv",
    "laptop", "mouse", "remote", "keyboard", "cell_phone", "microwave", "oven", "toaster", "sink",
    "refrigerator", "book", "clock", "vase", "scissors", "teddy_bear", "hair_drier", "toothbrush",
)
# fmt: on


@dataclass(frozen=True)
class Letterbox:
    scale: float
    pad_x: float
    pad_y: float

    def to_frame(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.pad_x) / self.scale, (y - self.pad_y) / self.scale


def letterbox(frame: Frame, size: int) -> tuple[Frame, Letterbox]:
    h, w = frame.shape[:2]
    scale = min(size / w, size / h)
    nw, nh = round(w * scale), round(h * scale)
    pad_x, pad_y = (size - nw) / 2, (size - nh) / 2
    canvas = np.full((size, size, 3), 114, dtype=np.uint8)
    left, top = round(pad_x - 0.1), round(pad_y - 0.1)
    canvas[top : top + nh, left : left + nw] = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return canvas, Letterbox(scale, left, top)


def to_tensor(image: Frame) -> npt.NDArray[np.float32]:
    rgb = image[:, :, ::-1].astype(np.float32) / 255.0
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)[None])


def decode(
    output: npt.NDArray[np.float32],
    box: Letterbox,
    class_names: Sequence[str],
    *,
    frame_size: tuple[int, int],
    min_score: float = 0.4,
    nms_iou: float = 0.45,
    class_map: Mapping[str, str] = COCO_TO_CITYOPS,
) -> list[Detection]:
    """Detections in frame pixels from one raw YOLO output tensor (batch of one)."""
    pred = output[0]
    nc = len(class_names)
    if pred.shape[0] in (4 + nc, 5 + nc) and pred.shape[1] not in (4 + nc, 5 + nc):
        pred = pred.T  # v8 layout: attributes first
    if pred.shape[1] == 5 + nc:
        scores_all = pred[:, 5:] * pred[:, 4:5]
    elif pred.shape[1] == 4 + nc:
        scores_all = pred[:, 4:]
    else:
        raise ValueError(f"output shape {output.shape} does not match {nc} classes")
    classes = scores_all.argmax(axis=1)
    scores = scores_all[np.arange(len(classes)), classes]
    keep = scores >= min_score
    pred, classes, scores = pred[keep], classes[keep], scores[keep]
    w, h = frame_size
    found: list[Detection] = []
    for cls in sorted(set(classes.tolist())):
        label = class_map.get(class_names[cls])
        if label is None:
            continue
        idx = np.flatnonzero(classes == cls)
        rects = [
            [
                float(pred[i, 0] - pred[i, 2] / 2),
                float(pred[i, 1] - pred[i, 3] / 2),
                float(pred[i, 2]),
                float(pred[i, 3]),
            ]
            for i in idx
        ]
        kept = cv2.dnn.NMSBoxes(rects, [float(scores[i]) for i in idx], min_score, nms_iou)
        for k in np.asarray(kept).reshape(-1):
            x, y, bw, bh = rects[int(k)]
            x1, y1 = box.to_frame(x, y)
            x2, y2 = box.to_frame(x + bw, y + bh)
            found.append(
                Detection(
                    label,
                    float(scores[idx[int(k)]]),
                    float(np.clip(x1, 0, w)),
                    float(np.clip(y1, 0, h)),
                    float(np.clip(x2, 0, w)),
                    float(np.clip(y2, 0, h)),
                )
            )
    return sorted(found, key=lambda d: -d.score)


class OnnxYoloDetector:
    name = "onnx"

    def __init__(
        self,
        model_path: Path,
        *,
        class_names: Sequence[str] = COCO_NAMES,
        min_score: float = 0.4,
        threads: int = 2,
    ) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self._session: Any = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        model_input = self._session.get_inputs()[0]
        self._input_name = model_input.name
        self._size = int(model_input.shape[2]) if isinstance(model_input.shape[2], int) else 640
        self._class_names = tuple(class_names)
        self._min_score = min_score
        self.labels = frozenset(COCO_TO_CITYOPS[n] for n in self._class_names if n in COCO_TO_CITYOPS)

    def detect(self, frame: Frame) -> list[Detection]:
        image, box = letterbox(frame, self._size)
        (output,) = self._session.run(None, {self._input_name: to_tensor(image)})[:1]
        h, w = frame.shape[:2]
        return decode(output, box, self._class_names, frame_size=(w, h), min_score=self._min_score)
