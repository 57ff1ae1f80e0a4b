"""Redaction cost and quality: face recall on annotated heads (tests/fixtures/annotations/faces.json),
milliseconds per frame for faces and plates, the export time of a 1-minute clip redacted against raw,
and a live tile's CPU redacted against raw (with the coverage of the heads on the tile at the detection
interval used and at twice it)."""

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

import av
import cv2
import numpy as np
import numpy.typing as npt
from prometheus_client import REGISTRY, Counter

from devstack.footage import opencv_doc_file, vtest_h264
from services.ingest.live.redacted import DETECT_SCALE, REDACTED_FRAMES, REDACTION_DROPPED, tile_frame
from services.ingest.live.tap import LiveTap
from services.ingest.privacy.redact import FACE_THRESHOLD, Box, Redactor
from services.ingest.privacy.sampled import EVERY_S, SampledRedaction, between
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


VTEST_FPS = 10
# Seconds of vtest a live tile is watched for, redacted and raw (real time: the camera's pace).
LIVE_S = 30


def _annotated_vtest() -> dict[int, list[list[int]]]:
    vtest = json.loads(FACES.read_text())["sources"][0]
    return {f["index"]: f["heads"] for f in vtest["frames"]}


def _pixelated(raw: npt.NDArray[Any], redacted: npt.NDArray[Any], head: Sequence[int]) -> bool:
    """Whether most of a head's pixels were changed (pixelation moves nearly every pixel of a textured box)."""
    x1, y1, x2, y2 = head
    changed = np.abs(raw[y1:y2, x1:x2].astype(np.int16) - redacted[y1:y2, x1:x2]) > 4
    return bool(changed.size) and float(changed.mean()) >= 0.5


def tile_coverage(every_s: float, scale: float, seconds: float = 30) -> tuple[int, int, float]:
    """(heads pixelated, heads annotated, CPU seconds per second of video) of vtest's first ``seconds`` at
    tile size, redacted as a live tile is (``SampledRedaction`` every ``every_s``, the face network's input
    the tile enlarged by ``scale``), before encoding."""
    heads_at = _annotated_vtest()
    raw: dict[int, npt.NDArray[Any]] = {}
    out: list[av.VideoFrame] = []
    sampled = SampledRedaction(Redactor(scale=scale), every_s)
    Redactor().faces(np.zeros((64, 64, 3), np.uint8))  # the model loads outside the measured time
    cpu = 0.0
    with av.open(str(vtest_h264())) as container:
        for frame in container.decode(container.streams.video[0]):
            if frame.time is None or frame.time >= seconds:
                break
            t0 = time.process_time()
            small = tile_frame(frame)
            out += sampled.push(small, float(small.time or 0))
            cpu += time.process_time() - t0
            index = round(frame.time * VTEST_FPS)
            if index in heads_at:
                raw[index] = small.to_ndarray(format="bgr24")
    hit = total = 0
    for frame in out:
        index = round(float(frame.time or 0) * VTEST_FPS)
        if index not in raw:
            continue
        scale = frame.width / 768
        for head in heads_at[index]:
            box = [round(v * scale) for v in head]
            total += 1
            hit += _pixelated(raw[index], frame.to_ndarray(format="bgr24"), box)
    return hit, total, cpu / seconds


def _watch(redacted: bool, seconds: float) -> tuple[float, int, int]:
    """A camera's stream thread (demux and decode every frame of vtest at its pace) feeding a ``LiveTap``
    watched raw (its H.264 passed through) or redacted, for ``seconds``: (process CPU seconds per second
    of video, frames offered, frames dropped)."""
    tap = LiveTap("bench", lambda chunks: None, emit_redacted=lambda chunks: None)
    assert tap.redacted is not None
    dropped_before = _count(REDACTION_DROPPED, "bench")
    frames = 0
    with av.open(str(vtest_h264())) as container:
        stream = container.streams.video[0]
        tap.open(stream)
        tap.wanted = not redacted
        tap.redacted.want(redacted)
        start, cpu_start = time.monotonic(), time.process_time()
        for packet in container.demux(stream):
            tap.packet(packet)
            for frame in packet.decode():
                if frame.time is None or frame.time >= seconds:
                    break
                tap.frame(frame)
                frames += 1
                time.sleep(max(0.0, start + frame.time - time.monotonic()))
            if time.monotonic() - start >= seconds:
                break
        cpu = time.process_time() - cpu_start
        tap.redacted.want(False)
        assert tap.redacted.join(10)
        tap.close()
    # The redaction thread's last burst (EVERY_S of frames) is left behind: a live tile's normal lag.
    assert redacted is False or _count(REDACTED_FRAMES, "bench") > 0
    return cpu / seconds, frames, int(_count(REDACTION_DROPPED, "bench") - dropped_before)


def _count(counter: Counter, camera: str) -> float:
    return REGISTRY.get_sample_value(counter._name + "_total", {"camera": camera}) or 0.0


def live_tile() -> list[dict[str, object]]:
    figures: list[dict[str, object]] = []
    for every_s, scale in ((EVERY_S, DETECT_SCALE), (EVERY_S, 1.0), (2 * EVERY_S, DETECT_SCALE)):
        hit, total, cpu = tile_coverage(every_s, scale)
        figures.append(
            {"name": f"live_tile_head_coverage_every{every_s:g}s_x{scale:g}", "unit": "fraction",
             "value": hit / total, "baseline_name": "goal", "baseline_value": 0.9, "ratio": hit / total / 0.9,
             "notes": f"{hit}/{total} annotated heads pixelated on 640x480 tiles of vtest's first 30 s, detection "
                      f"every {every_s:g} s on the tile enlarged {scale:g}x; redaction alone {cpu:.2f} CPU s per "
                      "video s (not real time)"},
        )  # fmt: skip
    raw_cpu, _, _ = _watch(False, LIVE_S)
    redacted_cpu, offered, dropped = _watch(True, LIVE_S)
    figures.append(
        {"name": "live_tile_cpu_redacted", "unit": "cpu_s_per_s", "value": redacted_cpu,
         "baseline_name": "raw tile (passthrough), cpu s per s", "baseline_value": raw_cpu,
         "ratio": redacted_cpu / raw_cpu,
         "notes": f"one camera (vtest 768x576 10 fps) watched {LIVE_S} s in real time, demux and decode of every "
                  f"frame in both; redacted: detection every {EVERY_S:g} s ({DETECT_SCALE:g}x) on a thread, x264 "
                  "ultrafast 640x480; "
                  f"{dropped}/{offered} frames dropped ({dropped / max(offered, 1):.1%})"},
    )  # fmt: skip
    return figures


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
    figures += live_tile()
    raw_s, redacted_s = _clip_seconds(default)
    figures.append(
        {"name": "clip_export_1min_redacted", "unit": "s", "value": redacted_s,
         "baseline_name": "raw export (remux), s", "baseline_value": raw_s, "ratio": redacted_s / raw_s,
         "notes": f"vtest 768x576 10 fps, 600 frames decoded, redacted (detection every {EVERY_S} s), encoded "
                  "(libx264 veryfast)"},
    )  # fmt: skip
    return figures
