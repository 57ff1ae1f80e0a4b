"""Detection quality against the hand-checked annotations in tests/fixtures/annotations/.

Matching follows the usual benchmark rules (PASCAL VOC / CityPersons style): per class, detections
in descending score order take the unmatched ground-truth box of their class with the highest IoU if
it is ≥ 0.5 (a true positive), else they are false positives — unless they fall on something marked
``ignore`` (a far, tiny person; a group that cannot be split; a person mostly hidden behind the sign)
or mostly inside an ignore region, in which case they count neither way. Ground truth left unmatched
is missed (recall), except ignored objects, which nobody is asked to find.

``vehicle`` is the class-agnostic view of car, truck, bus and motorbike: the van in the clip is a
"truck" for the annotation (COCO has no van class), and a detector calling it a car still found a
vehicle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.analytics.pipeline.detectors.base import Detection, iou

ROOT = Path(__file__).resolve().parent.parent
ANNOTATIONS = ROOT / "tests" / "fixtures" / "annotations" / "vtest.json"
VEHICLES = frozenset({"car", "truck", "bus", "motorbike"})
IOU_MATCH = 0.5
# A detection with at least this share of its area inside an ignore region or ignored box is not judged.
IGNORE_COVER = 0.5

PixelBox = tuple[float, float, float, float]


class _Object(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(alias="class")
    box: tuple[float, float, float, float]
    ignore: Literal["far", "group", "occluded"] | None = None


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int = Field(ge=0)
    objects: list[_Object]
    ignore_regions: list[tuple[float, float, float, float]] = []


class _Source(BaseModel):
    file: str
    package: str
    package_version: str
    path_in_package: str
    sha256: str
    frames: int
    width: int
    height: int
    fps: float


class Annotations(BaseModel):
    source: _Source
    classes: list[str]
    notes: str
    frames: list[_Frame]


def load_annotations(path: Path = ANNOTATIONS) -> Annotations:
    return Annotations.model_validate_json(path.read_text())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def as_vehicle(label: str) -> str:
    return "vehicle" if label in VEHICLES else label


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
        }


def _covered(box: PixelBox, by: PixelBox) -> float:
    ix = max(0.0, min(box[2], by[2]) - max(box[0], by[0]))
    iy = max(0.0, min(box[3], by[3]) - max(box[1], by[1]))
    area = (box[2] - box[0]) * (box[3] - box[1])
    return ix * iy / area if area > 0 else 0.0


def match_frame(
    detections: Sequence[Detection], frame: _Frame, *, label_of: Callable[[str], str] = str
) -> dict[str, Counts]:
    """TP/FP/FN per class (after ``label_of``, e.g. ``as_vehicle``) for one annotated frame."""
    counts: dict[str, Counts] = {}
    labels = {label_of(o.label) for o in frame.objects} | {label_of(d.label) for d in detections}
    for label in sorted(labels):
        wanted = [o.box for o in frame.objects if label_of(o.label) == label and o.ignore is None]
        ignored = [o.box for o in frame.objects if label_of(o.label) == label and o.ignore is not None]
        mine = sorted((d for d in detections if label_of(d.label) == label), key=lambda d: -d.score)
        taken: set[int] = set()
        c = counts.setdefault(label, Counts())
        for d in mine:
            box = (d.x1, d.y1, d.x2, d.y2)
            best, best_iou = -1, IOU_MATCH
            for i, gt in enumerate(wanted):
                overlap = iou(box, gt)
                if i not in taken and overlap >= best_iou:
                    best, best_iou = i, overlap
            if best >= 0:
                taken.add(best)
                c.tp += 1
            elif not any(iou(box, g) >= IOU_MATCH or _covered(box, g) >= IGNORE_COVER for g in ignored) and not any(
                _covered(box, r) >= IGNORE_COVER for r in frame.ignore_regions
            ):
                c.fp += 1
        c.fn += len(wanted) - len(taken)
    return counts


def evaluate(
    detections: Mapping[int, Sequence[Detection]],
    frames: Iterable[_Frame],
    *,
    thresholds: Mapping[str, float] | None = None,
    label_of: Callable[[str], str] = str,
) -> dict[str, Counts]:
    """Totals over ``frames``; a detection counts only at or above its class's threshold (default 0)."""
    limits = thresholds or {}
    total: dict[str, Counts] = {}
    for frame in frames:
        kept = [d for d in detections.get(frame.index, []) if d.score >= limits.get(d.label, 0.0)]
        for label, c in match_frame(kept, frame, label_of=label_of).items():
            total.setdefault(label, Counts()).add(c)
    return total


def pick_threshold(
    detections: Mapping[int, Sequence[Detection]],
    frames: Sequence[_Frame],
    label: str,
    *,
    min_precision: float,
    label_of: Callable[[str], str] = str,
) -> float:
    """The lowest score threshold of ``label`` whose precision on ``frames`` is ≥ ``min_precision``
    (highest recall); if none reaches it, the threshold with the best precision."""
    scores = sorted({round(d.score, 3) for ds in detections.values() for d in ds if label_of(d.label) == label})
    best: tuple[float, float] | None = None  # (precision, threshold) when the goal is out of reach
    raw = {d.label for ds in detections.values() for d in ds if label_of(d.label) == label}
    for t in scores:
        counts = evaluate(detections, frames, thresholds=dict.fromkeys(raw, t), label_of=label_of).get(label, Counts())
        if counts.precision >= min_precision:
            return t
        if best is None or counts.precision > best[0]:
            best = (counts.precision, t)
    return best[1] if best else 0.0
