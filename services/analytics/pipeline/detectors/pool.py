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

from services.analytics.pipeline.detectors.base import Detection, Detector, Frame

# Keeps a background model of its own camera's picture: never shared.
PER_CAMERA = frozenset({"motion_blob"})


class SharedDetector:
    def __init__(self, build: Callable[[], Detector]) -> None:
        first = build()
        # The name of what actually runs (ssdlite falls back to hog when its weights are missing).
        self.name = first.name
        self.labels = first.labels
        self._build = build
        self._idle: queue.SimpleQueue[Detector] = queue.SimpleQueue()
        self._idle.put(first)
        self.copies = 1

    def detect(self, frame: Frame) -> list[Detection]:
        try:
            detector = self._idle.get_nowait()
        except queue.Empty:
            detector = self._build()
            self.copies += 1
        try:
            return detector.detect(frame)
        finally:
            self._idle.put(detector)


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
                shared = self._shared[name] = SharedDetector(lambda: self._build(name))
            return shared
