"""Redaction of a video stream at a fraction of the detector's cost: faces and plates are detected on one
frame every ``every_s``, and the frames in between are blurred with boxes interpolated between the
detections before and after them.

Detecting on every frame costs about 0.3 s of CPU a frame (CenterFace at 768x576): slower than the
camera. Holding the last detection's boxes would leak every face that walks out of its box before the next
detection; so frames wait for the next detection (a stream leaves ``every_s`` late), and a box found in
both is moved along the way, grown by part of the distance, while a box found in only one of them is
kept for the whole interval (a face the detector missed once, or one entering or leaving).
"""

from __future__ import annotations

from collections.abc import Sequence

import av
import numpy as np

from services.ingest.privacy.redact import Box, Redactor, blurred_frame

# Detections a second on the stream: every 0.5 s at 10 fps is 1 frame in 5 through the face network.
EVERY_S = 0.5
# A box in the next detection is the same head when its centre is within this many of the box's sizes.
REACH = 2.0
# An interpolated box grows on each side by this fraction of the distance between its two detections: a
# head does not walk in a straight line at an even pace.
SLACK = 0.25


def between(before: Sequence[Box], after: Sequence[Box], fraction: float) -> list[Box]:
    """The boxes to blur ``fraction`` (0..1) of the way from one detection to the next."""
    if not before or not after:
        return [*before, *after]
    a, b = np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64)
    centres_a, centres_b = (a[:, :2] + a[:, 2:]) / 2, (b[:, :2] + b[:, 2:]) / 2
    distance = np.linalg.norm(centres_a[:, None, :] - centres_b[None, :, :], axis=2)
    size = np.maximum((a[:, 2:] - a[:, :2]).max(axis=1)[:, None], (b[:, 2:] - b[:, :2]).max(axis=1)[None, :])
    nearest = distance.argmin(axis=1)
    reached = distance[np.arange(len(a)), nearest] <= REACH * size[np.arange(len(a)), nearest]
    boxes: list[Box] = []
    matched: set[int] = set()
    for i in range(len(a)):
        if not reached[i]:
            boxes.append(before[i])
            continue
        j = int(nearest[i])
        matched.add(j)
        moved = a[i] + (b[j] - a[i]) * fraction
        grow = SLACK * float(distance[i, j])
        boxes.append(
            (int(moved[0] - grow), int(moved[1] - grow), int(np.ceil(moved[2] + grow)), int(np.ceil(moved[3] + grow)))
        )
    boxes.extend(box for j, box in enumerate(after) if j not in matched)
    return boxes


class SampledRedaction:
    """Feed it a stream's decoded frames in order; it returns them redacted, in order, in bursts (one
    per detection). ``flush`` returns the frames still waiting (the stream ended), blurred with the last
    detection's boxes. Not thread-safe: one per stream."""

    def __init__(self, redactor: Redactor, every_s: float) -> None:
        self._redactor = redactor
        self._every_s = every_s
        self._last: tuple[float, tuple[Box, ...]] | None = None
        self._waiting: list[tuple[float, av.VideoFrame]] = []

    def push(self, frame: av.VideoFrame, at: float) -> list[av.VideoFrame]:
        """``at``: the frame's time in seconds on the stream's clock."""
        last = self._last
        # A time going back (a new segment, a camera restarted) starts again with a detection.
        if last is not None and last[0] <= at < last[0] + self._every_s:
            self._waiting.append((at, frame))
            return []
        bgr = frame.to_ndarray(format="bgr24")
        boxes = self._redactor.regions(bgr).all
        out = []
        if last is not None and at > last[0]:
            span = at - last[0]
            out = [blurred_frame(f, between(last[1], boxes, (t - last[0]) / span)) for t, f in self._waiting]
        elif last is not None:  # no path from the last detection to this one: both boxes all along
            out = [blurred_frame(f, [*last[1], *boxes]) for _, f in self._waiting]
        self._waiting = []
        self._last = (at, boxes)
        out.append(blurred_frame(frame, boxes, bgr))
        return out

    def flush(self) -> list[av.VideoFrame]:
        held = self._last[1] if self._last is not None else ()
        out = [blurred_frame(f, held) for _, f in self._waiting]
        self._waiting = []
        return out
