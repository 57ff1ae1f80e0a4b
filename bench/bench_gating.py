"""Per-region motion gating vs whole-frame gating on the real clip, in the same run.

Both runs are the real stages (gate → detect → track → rules) over all 795 frames of vtest.avi at
10 fps; the only difference is ``GateConfig.regions``. Whole-frame gating (the baseline) runs the
detector on the whole frame whenever anything moved; region gating runs it only on the crops around
what moved (and around objects just missed), with a full detection every 5 s. Figures: pixels given
to the detector and detector ms per frame, and what the pipeline believes is there (its present
tracks) on the 61 annotated frames: recall and precision at IoU 0.5 for both runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import cv2

from bench.bench_detection_quality import DEFAULT_SCORE, clip
from bench.quality import Counts, as_vehicle, evaluate, load_annotations
from services.analytics.pipeline.camera import CameraPipeline
from services.analytics.pipeline.detectors.base import Detection, Detector, Frame
from services.analytics.pipeline.detectors.yolov4_tiny import YoloV4TinyDetector
from services.analytics.pipeline.gate import GateConfig
from services.analytics.pipeline.rules import RuleSpec

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
FULL = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
# Only detectors that can run a crop with a smaller network input get crops (detect.crops_pay_off):
# SSDLite's fixed 300x300 input would cost a whole frame per crop, so it keeps whole-frame gating.
DETECTORS: dict[str, Callable[[], Detector]] = {
    "yolov4_tiny@416": lambda: YoloV4TinyDetector(input_size=416, min_score=DEFAULT_SCORE),
}


class _Run:
    """One pipeline over the clip, fed a frame at a time (the two runs alternate frame by frame, so a
    burst of load from elsewhere on the machine hits both alike)."""

    def __init__(self, detector: Detector, *, regions: bool) -> None:
        self.pipeline = CameraPipeline("bench", detector, gate=GateConfig(regions=regions))
        self.pipeline.set_rules([RuleSpec("r", "bench", "anyone", "crowd", "person", zone=FULL, min_count=1)], T0)
        self.pixels = 0
        self.detect_ms = 0.0
        self.runs = self.crops = 0
        self.seen: dict[int, list[Detection]] = {}

    def step(self, i: int, frame: Frame, keep: set[int]) -> None:
        out = self.pipeline.process(frame, T0 + timedelta(seconds=i / 10))
        self.pixels += out.detect_pixels
        self.detect_ms += out.detect_ms
        self.runs += out.detected
        self.crops += len(out.regions)
        if i in keep:
            w, h = out.size
            self.seen[i] = [
                Detection(t.label, t.score, t.box[0] * w, t.box[1] * h, t.box[2] * w, t.box[3] * h) for t in out.tracks
            ]


def run() -> list[dict[str, object]]:
    cv2.setNumThreads(1)
    annotations = load_annotations()
    frames = clip(annotations)
    keep = {f.index for f in annotations.frames}
    figures: list[dict[str, object]] = []
    for name, make in DETECTORS.items():
        detector = make()
        detector.detect(frames[0])
        region, whole = _Run(detector, regions=True), _Run(detector, regions=False)
        for i, frame in enumerate(frames):
            region.step(i, frame, keep)
            whole.step(i, frame, keep)
        quality = {
            "region": evaluate(region.seen, annotations.frames, label_of=as_vehicle),
            "whole": evaluate(whole.seen, annotations.frames, label_of=as_vehicle),
        }
        frame_px = frames[0].shape[0] * frames[0].shape[1]
        notes = (
            f"vtest.avi, all {len(frames)} frames at 10 fps, 1 OpenCV thread; region gating: "
            f"{region.runs} detector rounds ({region.crops} crops), whole-frame gating: {whole.runs} rounds; "
            "runs alternate frame by frame"
        )
        n = len(frames)
        for key, unit, value, base in (
            ("pixels", "share of the frame", region.pixels / n / frame_px, whole.pixels / n / frame_px),
            ("detect_ms", "ms", region.detect_ms / n, whole.detect_ms / n),
        ):
            figures.append(
                {
                    "name": f"gating_{key}_per_frame_{name}",
                    "unit": unit,
                    "value": round(value, 4),
                    "baseline_name": "whole-frame motion gating (detector on the whole frame when anything moved)",
                    "baseline_value": round(base, 4),
                    "ratio": round(value / base, 3) if base else 0.0,
                    "saving": round(1 - value / base, 3) if base else 0.0,
                    "notes": notes,
                }
            )
        for cls in ("person", "vehicle"):
            r, w = quality["region"].get(cls, Counts()), quality["whole"].get(cls, Counts())
            if r.tp + r.fn == 0:
                continue
            figures.append(
                {
                    "name": f"gating_{cls}_recall_{name}",
                    "unit": "recall",
                    "value": round(r.recall, 3),
                    "baseline_name": "same with whole-frame gating",
                    "baseline_value": round(w.recall, 3),
                    "ratio": round(r.recall / w.recall, 3) if w.recall else 0.0,
                    "precision": round(r.precision, 3),
                    "baseline_precision": round(w.precision, 3),
                    "notes": f"present tracks on the {len(keep)} annotated frames, IoU 0.5; " + notes,
                }
            )
    return figures
