"""Recording cost: our remux recorder vs a plain remux of the same footage (ffmpeg -c copy when a
Debian ffmpeg is installed, else a bare PyAV packet copy); and export time of a 10-minute clip vs
reading the same segment bytes."""

from __future__ import annotations

import asyncio
import resource
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av

from devstack.footage import vtest_h264
from services.ingest.privacy.masks import Masks, as_masks
from services.ingest.recording.clips import Piece, stream_clip
from services.ingest.recording.recorder import SegmentClosed, SegmentRecorder
from services.ingest.recording.store import LocalStore

PASS_MIN = 79.5 / 60  # one pass of the footage, in minutes
LOOPS = 8  # 8 × 79.5 s of footage ≈ 10.6 minutes
MASK = [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]]  # a quarter of the picture


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _plain_remux(source: Path, target: Path) -> tuple[float, str]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:
        before = _children_cpu()
        subprocess.run(
            [ffmpeg, "-v", "error", "-y", "-i", str(source), "-c", "copy", "-f", "mp4", str(target)], check=True
        )
        return _children_cpu() - before, "ffmpeg -c copy"
    t0 = time.thread_time()
    with av.open(str(source)) as src, av.open(str(target), "w", format="mp4") as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            dst.mux(packet)
    return time.thread_time() - t0, "PyAV packet copy (no ffmpeg binary here)"


def _record(source: Path, store: LocalStore, closed: list[SegmentClosed], masks: Masks = ()) -> float:
    recorder = SegmentRecorder(
        "bench", str(source), store, segment_s=60, open_timeout_s=5, read_timeout_s=5, on_segment=closed.append,
        realtime=False, privacy_masks=masks,
    )  # fmt: skip
    t0 = time.thread_time()
    recorder.record_once()
    return time.thread_time() - t0


def _seconds(path: str) -> float:
    with av.open(path) as container:
        return float(container.duration or 0) / 1e6


async def _export(pieces: list[Piece], start: datetime, end: datetime) -> int:
    return sum([len(chunk) async for chunk in stream_clip(pieces, start, end)])


def run() -> list[dict[str, object]]:
    source = vtest_h264()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ours_cpu, base_cpu, base_name = 0.0, 0.0, ""
        closed: list[SegmentClosed] = []
        store = LocalStore(root / "ours")
        for i in range(LOOPS):
            ours_cpu += _record(source, store, closed)
            cpu, base_name = _plain_remux(source, root / f"plain-{i}.mp4")
            base_cpu += cpu
        # Lay the segments end to end in time, as a camera recorded for ten minutes would have them.
        origin = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
        pieces, at = [], origin
        for segment in closed:
            path = str(store.resolve(segment.path))
            pieces.append(Piece(path=path, start_at=at))
            at += timedelta(seconds=_seconds(path))
        # A masked camera is decoded, masked and re-encoded: one pass of the footage is enough to price it.
        masked_cpu = _record(source, LocalStore(root / "masked"), [], as_masks(MASK))
        start, end = origin, origin + timedelta(minutes=10)
        t0 = time.perf_counter()
        clip_bytes = asyncio.run(_export(pieces, start, end))
        export_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        raw_bytes = sum(len(Path(p.path).read_bytes()) for p in pieces if p.start_at < end)
        read_s = time.perf_counter() - t0
    footage_min = LOOPS * PASS_MIN
    return [
        {"name": "recording_cpu_per_minute", "unit": "cpu s / footage min", "value": ours_cpu / footage_min,
         "baseline_name": f"{base_name}, cpu s / footage min", "baseline_value": base_cpu / footage_min,
         "ratio": ours_cpu / base_cpu,
         "notes": f"vtest 768x576 H.264 10 fps, {footage_min:.1f} min, {len(closed)} segments of ≤60 s; target ≤ 1.2"},
        {"name": "masked_recording_cpu_per_minute", "unit": "cpu s / footage min", "value": masked_cpu / PASS_MIN,
         "baseline_name": "remux recording (ours, unmasked), cpu s / footage min",
         "baseline_value": ours_cpu / footage_min, "ratio": (masked_cpu / PASS_MIN) / (ours_cpu / footage_min),
         "notes": f"one privacy mask, libx264 veryfast; {60 * PASS_MIN / masked_cpu:.1f} masked cameras per core"},
        {"name": "clip_export_10min", "unit": "s", "value": export_s,
         "baseline_name": "reading the same segment bytes, s", "baseline_value": read_s, "ratio": export_s / read_s,
         "notes": f"{clip_bytes / 1e6:.1f} MB clip from {raw_bytes / 1e6:.1f} MB of segments, remuxed and streamed"},
    ]  # fmt: skip
