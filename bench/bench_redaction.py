"""Redaction cost and quality: face recall on annotated heads (tests/fixtures/annotations/faces.json),
milliseconds per frame for faces and plates, and the export time of a 1-minute clip redacted against raw."""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy.typing as npt

from devstack.footage import opencv_doc_file, vtest_h264
from services.ingest.privacy.redact import FACE_THRESHOLD, Box, Redactor
from services.ingest.privacy.sampled import EVERY_S, between
from services.ingest.recording.clips import Piece, stream_clip
from services.ingest.recording.recorder import SegmentClosed, SegmentRecorder
from services.ingest.recording.store import LocalStore

FACES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "annotations" / "faces.json"
# (threshold, scale) settings measured besides the default (FACE_THRESHOLD at native size).
SETTINGS = ((0.2, 1.0), (0.1, 1.0), (0.05, 1.0), (FACE_THRESHOLD, 1.0))
# opencv-doc's one picture of a number plate (a car's rear, motion-blurred), and the plate's box by eye.
PLATE_PICTURE = "usr/share/doc/opencv-doc/examples/data/licenseplate_motion.jpg"
PLATE = [229, 236, 350, 286]


def annotated_frames() -> Iterator[tuple[str, npt.NDArray[Any], list[list[int]]]]:
    """(source file, BGR picture, annotated head boxes) of every annotated frame."""
    for source in json.loads(FACES.read_text())["sources"]:
        path = opencv_doc_file(source["path_in_package"])
        wanted = {f["index"]: f["heads"] for f in source["frames"]}
        capture = cv2.VideoCapture(str(path))
        index = 0
        while wanted:
            ok, picture = capture.read()
            if not ok:
                break
            if index in wanted:
                yield source["file"], picture, wanted.pop(index)
            index += 1
        capture.release()


def covered(head: Sequence[int], regions: Sequence[Box]) -> bool:
    cx, cy = (head[0] + head[2]) / 2, (head[1] + head[3]) / 2
    return any(x1 <= cx <= x2 and y1 <= cy <= y2 for x1, y1, x2, y2 in regions)


def recall(redactor: Redactor, frames: Sequence[tuple[str, npt.NDArray[Any], list[list[int]]]]) -> tuple[int, int, int]:
    """(heads covered, heads annotated, regions found)."""
    hit = total = found = 0
    for _, picture, heads in frames:
        regions = redactor.faces(picture)
        found += len(regions)
        total += len(heads)
        hit += sum(covered(h, regions) for h in heads)
    return hit, total, found


def sampled_recall(redactor: Redactor, every: int) -> tuple[int, int]:
    """(heads covered, heads annotated) on vtest's annotated frames when detection runs on one frame in
    ``every`` and the frames between get boxes interpolated (privacy/sampled.py): the detection frames
    are placed so that no annotated frame is one of them, the case of most frames of a stream."""
    source = json.loads(FACES.read_text())["sources"][0]
    wanted = {f["index"]: f["heads"] for f in source["frames"]}
    capture = cv2.VideoCapture(str(opencv_doc_file(source["path_in_package"])))
    frames = []
    while (read := capture.read())[0]:
        frames.append(read[1])
    capture.release()
    offset = every // 2 + 1
    found: dict[int, tuple[Box, ...]] = {}
    hit = total = 0
    for index, heads in wanted.items():
        before = (index - offset) // every * every + offset
        after = before + every
        if before < 0 or after >= len(frames):
            continue
        for k in (before, after):
            if k not in found:
                found[k] = redactor.regions(frames[k]).all
        boxes = between(found[before], found[after], (index - before) / every)
        total += len(heads)
        hit += sum(covered(h, boxes) for h in heads)
    return hit, total


def _ms(call: Any, pictures: Sequence[npt.NDArray[Any]]) -> float:
    call(pictures[0])  # the model loads on first use
    times = []
    for picture in pictures:
        t0 = time.perf_counter()
        call(picture)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


async def _export(pieces: list[Piece], start: datetime, end: datetime, redactor: Redactor | None) -> int:
    return sum([len(chunk) async for chunk in stream_clip(pieces, start, end, redactor)])


def _clip_seconds(redactor: Redactor) -> tuple[float, float]:
    """Export time of the first minute of vtest (one recorded segment), raw and redacted."""
    with tempfile.TemporaryDirectory() as tmp:
        store, closed = LocalStore(Path(tmp)), list[SegmentClosed]()
        SegmentRecorder(
            "bench", str(vtest_h264()), store, segment_s=90, open_timeout_s=5, read_timeout_s=5,
            on_segment=closed.append, realtime=False,
        ).record_once()  # fmt: skip
        origin = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
        pieces = [Piece(path=str(store.resolve(closed[0].path)), start_at=origin)]
        end = origin + timedelta(minutes=1)
        t0 = time.perf_counter()
        asyncio.run(_export(pieces, origin, end, None))
        raw_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        asyncio.run(_export(pieces, origin, end, redactor))
        return raw_s, time.perf_counter() - t0


def run() -> list[dict[str, object]]:
    frames = list(annotated_frames())
    cctv = [f for f in frames if f[0] == "vtest.avi"]
    figures: list[dict[str, object]] = []
    for threshold, scale in SETTINGS:
        hit, total, found = recall(Redactor(face_threshold=threshold, scale=scale), frames)
        figures.append(
            {"name": f"face_recall_t{threshold}_x{scale:g}", "unit": "recall", "value": hit / total,
             "baseline_name": "goal", "baseline_value": 0.9, "ratio": hit / total / 0.9,
             "notes": f"{hit}/{total} annotated heads covered in {len(frames)} frames; {found} regions blurred"},
        )  # fmt: skip
    default = Redactor()
    every = round(EVERY_S * 10)  # vtest is 10 fps
    hit, total = sampled_recall(Redactor(plates=False), every)
    figures.append(
        {"name": "face_recall_sampled_between_detections", "unit": "recall", "value": hit / total,
         "baseline_name": "goal", "baseline_value": 0.9, "ratio": hit / total / 0.9,
         "notes": f"{hit}/{total} heads on annotated vtest frames that are not detection frames; detection on "
                  f"1 frame in {every} ({EVERY_S} s), boxes interpolated between detections"},
    )  # fmt: skip
    picture = cv2.imread(str(opencv_doc_file(PLATE_PICTURE)))
    assert picture is not None
    plates = default.plates_in(picture)
    figures.append(
        {"name": "plate_recall", "unit": "recall", "value": float(covered(PLATE, plates)),
         "baseline_name": "goal", "baseline_value": 1.0, "ratio": float(covered(PLATE, plates)),
         "notes": f"1 plate (licenseplate_motion.jpg); the cascade found {len(plates)} regions, at {plates}"},
    )  # fmt: skip
    pictures = [f[1] for f in cctv[::6]]
    faces_ms, plates_ms = _ms(default.faces, pictures), _ms(default.plates_in, pictures)
    figures.append(
        {"name": "redaction_ms_per_frame", "unit": "ms", "value": faces_ms + plates_ms,
         "baseline_name": "frame period at 10 fps, ms", "baseline_value": 100.0, "ratio": (faces_ms + plates_ms) / 100,
         "notes": f"768x576: faces {faces_ms:.0f} ms (CenterFace, onnxruntime), plates {plates_ms:.0f} ms (cascade)"},
    )  # fmt: skip
    raw_s, redacted_s = _clip_seconds(default)
    figures.append(
        {"name": "clip_export_1min_redacted", "unit": "s", "value": redacted_s,
         "baseline_name": "raw export (remux), s", "baseline_value": raw_s, "ratio": redacted_s / raw_s,
         "notes": f"vtest 768x576 10 fps, 600 frames decoded, redacted (detection every {EVERY_S} s), encoded "
                  "(libx264 veryfast)"},
    )  # fmt: skip
    return figures
