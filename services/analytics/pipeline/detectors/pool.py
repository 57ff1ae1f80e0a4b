"""Models loaded once per process and shared by every camera that runs them.

An OpenCV net (like a HOG descriptor) is not safe to run from two threads at once, and the frame
consumer runs cameras on a few worker threads: a shared detector lends each concurrent caller a copy
of its own, building one more only when all are busy (so at most one per worker thread), and every
camera after the first costs no load time and no memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import cast

from services.analytics.pipeline.detectors.base import CropDetector, Detection, Detector, Frame

# Keeps a background model of its own camera's picture: never shared.
PER_CAMERA = frozenset({"motion_blob"})


class SharedDetector:
    def __init__(self, build: Callable[[], Detector], first: Detector | None = None) -> None:
        first = first if first is not None else build()
        # The name of what actually runs (ssdlite falls back to hog when its weights are missing).
        self.name = first.name
        self.labels = first.labels
        self._build = build
        self._idle: queue.SimpleQueue[Detector] = queue.SimpleQueue()
        self._idle.put(first)
        self.copies = 1

    def _borrow(self) -> Detector:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            self.copies += 1
            return self._build()

    def detect(self, frame: Frame) -> list[Detection]:
        detector = self._borrow()
        try:
            return detector.detect(frame)
        finally:
            self._idle.put(detector)


class SharedCropDetector(SharedDetector):
    """A shared detector that also runs crops at a smaller input (the region gate gives it crops)."""

    def detect_scaled(self, crop: Frame, frame_size: tuple[int, int]) -> list[Detection]:
        detector = self._borrow()
        try:
            return cast(CropDetector, detector).detect_scaled(crop, frame_size)
        finally:
            self._idle.put(detector)


def share(build: Callable[[], Detector]) -> SharedDetector:
    first = build()
    kind = SharedCropDetector if isinstance(first, CropDetector) else SharedDetector
    return kind(build, first)


class Detectors:
    """The process's detectors by name, built on first use."""

    def __init__(self, build: Callable[[str], Detector]) -> None:
        self._build = build
        self._shared: dict[str, SharedDetector] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Detector:
        if name in PER_CAMERA:
            return self._build(name)
        # Cameras are set up on several threads: the lock keeps it to one load per model.
        with self._lock:
            shared = self._shared.get(name)
            if shared is None:
                shared = self._shared[name] = share(lambda: self._build(name))
            return shared
