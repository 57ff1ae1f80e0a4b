"""The thread life cycle the camera threads share: the stream worker (decode), the recorder (remux) and
the live substream reader (demux).

Each runs FFmpeg's blocking reads on a daemon thread of its own until ``stop()``; ``_stop`` is the
event its loop waits on between reconnects, so a stop interrupts a backoff at once.
"""

from __future__ import annotations

import random
import threading
import time


class StreamStopped(Exception):
    """Raised inside a camera thread's loop to leave it once ``stop()`` was called."""


class CameraThread:
    """A daemon thread that runs ``_run`` once; ``_run`` returns soon after ``stop()``."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _keep_pace(self, pts: float | None, origin: tuple[float, float] | None) -> tuple[float, float] | None:
        """Play recorded footage at its own speed, as a camera would send it: ``origin`` is (monotonic
        time, pts) of the clip's start; raises ``StreamStopped`` if stopped while waiting."""
        if pts is None:
            return origin
        now = time.monotonic()
        if origin is None or pts < origin[1]:
            return (now, pts)
        ahead = (pts - origin[1]) - (now - origin[0])
        if ahead > 0 and self._stop.wait(ahead):
            raise StreamStopped
        return origin

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; whether it has ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


def backoff_delay(attempt: int, min_s: float, max_s: float) -> float:
    """Exponential, capped, ±20 % jitter: cameras behind one dead switch must not reconnect in step."""
    base: float = min(min_s * (2.0**attempt), max_s)
    return base * random.uniform(0.8, 1.2)
