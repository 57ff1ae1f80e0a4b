"""Detectors: ms per frame (median, p95) and cameras per core at 5 fps, per model, on real frames.

Every model runs in-process on one OpenCV thread over the same frames of vtest.avi (768x576), taken in
turn frame by frame so that load from elsewhere on the machine hits all of them alike. ``detect()`` is
timed whole: pre-processing (resize, blob), the network, post-processing (decoding, NMS, mapping back
to frame pixels). The baseline of a network is its bare ``net.forward`` on a blob made beforehand, in
the same run: the difference is what our pre- and post-processing costs. HOG and motion blobs have no
network; their baseline is SSDLite, the default detector.

Cameras per core come from the CPU time of the detecting thread (OpenCV runs on the calling thread with
one thread), not the wall time, so that other work on a shared machine does not count against a model;
they assume every sampled frame is detected at 5 fps (no motion gating, which only lowers the cost):
1000 / (5 × median CPU ms).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt

from devstack.footage import vtest_avi
from services.analytics.pipeline.detectors import Detector, build_detector
from services.analytics.pipeline.detectors.ssd_graph import SsdConfig, ssd_text_graph
from services.analytics.pipeline.detectors.ssdlite import frozen_graph_path
from services.analytics.pipeline.detectors.yolov4_tiny import model_files

FRAMES = range(0, 300, 5)  # 60 frames spread over 30 s of the clip
FPS = 5.0
Frame = npt.NDArray[np.uint8]
Blob = npt.NDArray[Any]


def _frames() -> list[Frame]:
    out = []
    with av.open(str(vtest_avi())) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in FRAMES:
                out.append(np.asarray(frame.to_ndarray(format="bgr24"), np.uint8))
            if i >= FRAMES.stop:
                break
    return out


def _yolo_forward(size: int) -> Callable[[Blob], object]:
    """The bare network: the blob is made before the clock starts (see ``_time``)."""
    cfg, weights, _ = model_files()
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    names = list(net.getUnconnectedOutLayersNames())

    def forward(blob: Blob) -> object:
        net.setInput(blob)
        return net.forward(names)

    return forward


def _ssd_forward() -> Callable[[Blob], object]:
    pb = frozen_graph_path()
    with tempfile.NamedTemporaryFile("w", suffix=".pbtxt") as pbtxt:
        pbtxt.write(ssd_text_graph(pb, SsdConfig(num_classes=1)))
        pbtxt.flush()
        net = cv2.dnn.readNetFromTensorflow(str(pb), pbtxt.name)

    def forward(blob: Blob) -> object:
        net.setInput(blob)
        return net.forward()

    return forward


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1]


def run() -> list[dict[str, object]]:
    cv2.setNumThreads(1)
    frames = _frames()
    yolo_blob = {
        size: [cv2.dnn.blobFromImage(f, 1 / 255.0, (size, size), swapRB=True, crop=False) for f in frames]
        for size in (416, 608)
    }
    ssd_blobs = [
        cv2.dnn.blobFromImage(
            cv2.resize(f, (640, 480), interpolation=cv2.INTER_AREA),
            1 / 127.5,
            (300, 300),
            (127.5, 127.5, 127.5),
            swapRB=True,
        )
        for f in frames
    ]
    detectors: dict[str, Detector] = {
        "ssdlite": build_detector("ssdlite", min_score=0.4),
        "yolov4_tiny_416": build_detector("yolov4_tiny", min_score=0.4, yolo_input_size=416),
        "yolov4_tiny_608": build_detector("yolov4_tiny", min_score=0.4, yolo_input_size=608),
        "hog": build_detector("hog", min_score=0.4),
        "motion_blob": build_detector("motion_blob", min_score=0.4),
    }
    bare: dict[str, tuple[Callable[[Blob], object], list[Blob]]] = {
        "ssdlite": (_ssd_forward(), ssd_blobs),
        "yolov4_tiny_416": (_yolo_forward(416), yolo_blob[416]),
        "yolov4_tiny_608": (_yolo_forward(608), yolo_blob[608]),
    }
    times: dict[str, list[float]] = {name: [] for name in [*detectors, *(f"{n}_bare" for n in bare)]}
    cpu: dict[str, list[float]] = {name: [] for name in detectors}
    found: dict[str, int] = dict.fromkeys(detectors, 0)
    for detector in detectors.values():  # warm-up: first runs allocate
        detector.detect(frames[0])
    for i, frame in enumerate(frames):
        for name, detector in detectors.items():
            t0, c0 = time.perf_counter(), time.thread_time()
            found[name] += len(detector.detect(frame))
            times[name].append((time.perf_counter() - t0) * 1000)
            cpu[name].append((time.thread_time() - c0) * 1000)
        for name, (forward, inputs) in bare.items():
            t0 = time.perf_counter()
            forward(inputs[i])
            times[f"{name}_bare"].append((time.perf_counter() - t0) * 1000)
    figures: list[dict[str, object]] = []
    ssd_median = statistics.median(times["ssdlite"])
    ssd_cameras = 1000 / (FPS * statistics.median(cpu["ssdlite"]))
    for name in detectors:
        median, p95 = statistics.median(times[name]), _quantile(times[name], 0.95)
        cpu_median = statistics.median(cpu[name])
        if name in bare:
            base_name = f"bare {name} net.forward (blob made beforehand) ms"
            base = statistics.median(times[f"{name}_bare"])
        else:
            base_name, base = "ssdlite detect ms (the default detector)", ssd_median
        notes = (
            f"median over {len(frames)} frames of vtest.avi (768x576), 1 OpenCV thread, pre/post-processing "
            f"included; p95 {p95:.1f} ms; CPU {cpu_median:.1f} ms; {found[name] / len(frames):.1f} boxes/frame"
        )
        figures.append(
            {
                "name": f"detector_{name}_ms_per_frame",
                "unit": "ms",
                "value": median,
                "baseline_name": base_name,
                "baseline_value": base,
                "ratio": median / base,
                "p95": p95,
                "cpu_ms_median": cpu_median,
                "notes": notes,
            }
        )
        cameras = 1000 / (FPS * cpu_median)
        figures.append(
            {
                "name": f"detector_{name}_cameras_per_core_at_5fps",
                "unit": "cameras",
                "value": cameras,
                "baseline_name": "ssdlite cameras per core at 5 fps",
                "baseline_value": ssd_cameras,
                "ratio": cameras / ssd_cameras,
                "notes": "every sampled frame detected (no motion gating), 1000 / (5 fps × median CPU ms)",
            }
        )
    return figures
