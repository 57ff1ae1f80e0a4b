"""Stage 4, track: a detection round (pixel boxes, frame size, capture time) in, tracked objects out.

A greedy IoU tracker with a centroid fallback: stable ids, age and path of every object.

An object is confirmed after two sightings; zone rules see it only once the median of its recent scores
has reached its class's threshold (Frigate's ``threshold``): a single frame's score says little, while
a thing that only ever half-looks like a person stays below it. Measured on the annotated vtest.avi frames
with YOLOv4-tiny at 416: a rock on the lawn is called a person in every frame at scores 0.22–0.65
(median 0.54), the people walking there have medians of 0.84–0.99, and the parked van (a truck)
0.64–0.84 (median 0.72). SSDLite's people range from 0.38 to 0.92 in median: no threshold separates them
from its false finds, so it has none.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.analytics.pipeline.detectors.base import Detection, iou

Box = tuple[float, float, float, float]
# Median recent score an object needs to be confirmed, per detector and class (absent: 0).
TRACK_THRESHOLDS: Mapping[str, Mapping[str, float]] = {
    "yolov4_tiny": {"person": 0.7, "bicycle": 0.6, "car": 0.6, "motorbike": 0.6, "bus": 0.6, "truck": 0.6},
}
SCORE_HISTORY = 10  # the sightings the median is taken over (Frigate keeps 10 too)


@dataclass
class Track:
    id: int
    label: str
    box: Box
    score: float
    first_seen: datetime
    last_seen: datetime
    hits: int = 1
    misses: int = 0
    # Bottom-centre points (the foot point rules test against zones), oldest first.
    path: deque[tuple[datetime, float, float]] = field(default_factory=lambda: deque(maxlen=300))
    scores: deque[float] = field(default_factory=lambda: deque(maxlen=SCORE_HISTORY))
    # Once its median score has reached the threshold it stays a real object: a dip in score later
    # must not end and restart its alerts.
    proven: bool = False

    @property
    def median_score(self) -> float:
        return statistics.median(self.scores) if self.scores else self.score

    @property
    def foot(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, self.box[3]

    def age_s(self, now: datetime) -> float:
        return (now - self.first_seen).total_seconds()


@dataclass(frozen=True)
class Tracks:
    """What the rules see of the tracker. ``followed``: every confirmed track (line crossing follows
    these, so a missed frame does not lose a crossing); ``present``: the confirmed tracks seen in the
    last detection round, one miss tolerated, whose median score has reached their class's threshold
    (zones count these). Lines do not ask for the threshold: a false find that never moves crosses
    nothing, and people far down a road, small and scored lower, must still be counted."""

    followed: list[Track]
    present: list[Track]


class Tracker:
    """Boxes are normalised (0..1). A track is confirmed after ``min_hits`` matches and dropped after
    ``max_misses`` detection rounds without a match (Frigate: min_initialized / max_disappeared)."""

    def __init__(
        self,
        *,
        min_iou: float = 0.2,
        max_centroid: float = 0.08,
        min_hits: int = 2,
        max_misses: int = 10,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        """``thresholds``: the median score each class needs (absent: none)."""
        self.thresholds: Mapping[str, float] = dict(thresholds or {})
        self._min_iou = min_iou
        self._max_centroid = max_centroid
        self._min_hits = min_hits
        self._max_misses = max_misses
        self._tracks: list[Track] = []
        self._next_id = 1

    @property
    def confirmed(self) -> list[Track]:
        return [t for t in self._tracks if t.hits >= self._min_hits]

    @property
    def unsure(self) -> bool:
        """The last detection missed a confirmed object: has it left, or was it only not seen?"""
        return any(t.misses == 1 for t in self.confirmed)

    def revisit_boxes(self) -> list[Box]:
        """Where the region gate looks again: confirmed objects the last detection missed (have they
        left?) and objects seen once (confirm them now, not at the next full detection)."""
        return [
            t.box
            for t in self._tracks
            if (t.hits >= self._min_hits and t.misses == 1) or (t.hits < self._min_hits and t.misses == 0)
        ]

    def tracks(self) -> Tracks:
        followed = self.confirmed
        return Tracks(followed, [t for t in followed if t.misses <= 1 and t.proven])

    def update(
        self,
        detections: list[Detection],
        frame_size: tuple[int, int],
        at: datetime,
        *,
        covered: list[Box] | None = None,
    ) -> list[Track]:
        """``covered``: the normalised crops the detector saw (None: the whole frame). A track not wholly
        inside one of them was not looked for: it keeps its box and does not age."""
        w, h = frame_size
        boxes = [(d.x1 / w, d.y1 / h, d.x2 / w, d.y2 / h) for d in detections]
        pairs = []
        for ti, track in enumerate(self._tracks):
            for di, (det, box) in enumerate(zip(detections, boxes, strict=True)):
                if det.label != track.label:
                    continue
                overlap = iou(track.box, box)
                if overlap >= self._min_iou:
                    pairs.append((1.0 + overlap, ti, di))
                    continue
                dx = (track.box[0] + track.box[2] - box[0] - box[2]) / 2
                dy = (track.box[1] + track.box[3] - box[1] - box[3]) / 2
                dist = (dx * dx + dy * dy) ** 0.5
                if dist <= self._max_centroid:
                    pairs.append((1.0 - dist / self._max_centroid, ti, di))
        used_t: set[int] = set()
        used_d: set[int] = set()
        # Best matches first; ties broken by index so replays give the same ids.
        for _, ti, di in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            track = self._tracks[ti]
            track.box, track.score, track.last_seen = boxes[di], detections[di].score, at
            track.hits += 1
            track.misses = 0
            track.path.append((at, *track.foot))
            self._prove(track)
        for ti, track in enumerate(self._tracks):
            if ti not in used_t and (covered is None or _inside(track.box, covered)):
                track.misses += 1
        self._tracks = [t for t in self._tracks if t.misses <= self._max_misses]
        for di, det in enumerate(detections):
            if di in used_d:
                continue
            track = Track(self._next_id, det.label, boxes[di], det.score, at, at)
            track.path.append((at, *track.foot))
            self._prove(track)
            self._tracks.append(track)
            self._next_id += 1
        return self.confirmed

    def _prove(self, track: Track) -> None:
        track.scores.append(track.score)
        if not track.proven:
            track.proven = track.median_score >= self.thresholds.get(track.label, 0.0)


def _inside(box: Box, regions: list[Box], slack: float = 0.005) -> bool:
    """Wholly inside one crop: an object a crop cuts through could not be seen whole, so it is not missed."""
    return any(
        r[0] - slack <= box[0] and r[1] - slack <= box[1] and box[2] <= r[2] + slack and box[3] <= r[3] + slack
        for r in regions
    )
