"""The annotated frames belong to the real clip, and the quality arithmetic of `make bench` is right.

The full evaluation (detectors over every annotated frame, alerts over 30 looped minutes) is slow and
runs in `make bench` (bench/bench_detection_quality.py), not here.
"""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from bench.quality import (
    Counts,
    as_vehicle,
    evaluate,
    load_annotations,
    match_frame,
    pick_threshold,
    sha256_of,
)
from services.analytics.pipeline.detectors.base import Detection


def test_the_annotations_are_of_the_footage_they_name(footage_avi: Path):
    annotations = load_annotations()
    source = annotations.source
    assert sha256_of(footage_avi) == source.sha256
    with av.open(str(footage_avi)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (source.width, source.height)
        assert sum(1 for _ in container.decode(stream)) == source.frames
    indices = [f.index for f in annotations.frames]
    assert len(indices) >= 60
    assert indices == sorted(set(indices))
    assert all(0 <= i < source.frames for i in indices)
    for frame in annotations.frames:
        for o in frame.objects:
            x1, y1, x2, y2 = o.box
            assert 0 <= x1 < x2 <= source.width, (frame.index, o)
            assert 0 <= y1 < y2 <= source.height, (frame.index, o)
            assert o.label in annotations.classes
    wanted = [o for f in annotations.frames for o in f.objects if o.ignore is None]
    assert {o.label for o in wanted} >= {"person", "car", "truck"}


def _det(label: str, score: float, box: tuple[float, float, float, float]) -> Detection:
    return Detection(label, score, *box)


def test_precision_and_recall_on_a_constructed_frame():
    annotations = load_annotations()
    frame = annotations.frames[0].model_copy(
        update={
            "objects": [
                o.model_copy(update={"label": label, "box": box, "ignore": ignore})
                for o, (label, box, ignore) in zip(
                    [annotations.frames[0].objects[0]] * 5,
                    [
                        ("person", (100, 100, 140, 200), None),
                        ("person", (300, 100, 340, 200), None),
                        ("person", (500, 100, 540, 200), None),  # missed
                        ("truck", (600, 40, 700, 100), None),
                        ("person", (10, 10, 20, 30), "far"),  # nobody has to find it
                    ],
                    strict=True,
                )
            ],
            "ignore_regions": [(200, 300, 300, 400)],
        }
    )
    detections = [
        _det("person", 0.9, (102, 104, 142, 204)),  # hit
        _det("person", 0.8, (100, 100, 140, 200)),  # second box on the same person: false
        _det("person", 0.7, (300, 110, 340, 210)),  # hit (IoU 0.82)
        _det("person", 0.6, (10, 10, 20, 30)),  # on an ignored person: not judged
        _det("person", 0.5, (210, 310, 260, 390)),  # inside the ignore region: not judged
        _det("person", 0.4, (380, 100, 420, 200)),  # nothing there: false
        _det("car", 0.9, (605, 42, 702, 101)),  # the van called a car
    ]
    counts = match_frame(detections, frame)
    assert (counts["person"].tp, counts["person"].fp, counts["person"].fn) == (2, 2, 1)
    assert counts["person"].precision == pytest.approx(0.5)
    assert counts["person"].recall == pytest.approx(2 / 3)
    assert (counts["car"].tp, counts["car"].fp, counts["truck"].fn) == (0, 1, 1)
    vehicles = match_frame(detections, frame, label_of=as_vehicle)["vehicle"]
    assert (vehicles.tp, vehicles.fp, vehicles.fn) == (1, 0, 0)
    # A threshold drops the low-scored boxes before matching: one false box left.
    above = evaluate({frame.index: detections}, [frame], thresholds={"person": 0.65})["person"]
    assert (above.tp, above.fp, above.fn) == (2, 1, 1)
    # Precision 2/3 holds down to 0.5 (the boxes at 0.6 and 0.5 are not judged), not at 0.4 (2/4).
    assert pick_threshold({frame.index: detections}, [frame], "person", min_precision=0.66) == pytest.approx(0.5)
    assert pick_threshold({frame.index: detections}, [frame], "person", min_precision=0.5) == pytest.approx(0.4)
    total = Counts()
    total.add(Counts(1, 2, 3))
    total.add(Counts(1, 0, 0))
    assert total.as_dict() == {"tp": 2, "fp": 2, "fn": 3, "precision": 0.5, "recall": 0.4}
