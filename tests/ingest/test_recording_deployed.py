"""Recording as deployed: a read-only root with one recordings volume (compose, Kubernetes), and
several ingest replicas on one shared volume, where any replica serves footage another recorded."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import av
import httpx

from devstack.rtsp import RtspServer
from tests.ingest.conftest import CLIP
from tests.ingest.sandbox import read_only_root
from tests.support import ROOT, ServiceProcess

CAMERA = "dock-1"
RECORDING = {"CITYOPS_INGEST_SEGMENT_S": "3", "CITYOPS_INGEST_RECORDING_RECONCILE_S": "1"}
# A replica's other writable places, as in the image (HOME=/tmp on a tmpfs); no bytecode written.
PROBE = """
import os, sys
ok = []
for d in sys.argv[1:]:
    try:
        with open(os.path.join(d, ".probe"), "w"):
            pass
        os.remove(os.path.join(d, ".probe"))
        ok.append(d)
    except OSError:
        pass
print("\\n".join(ok))
"""


def _scratch_env(scratch: Path) -> dict[str, str]:
    return {"HOME": str(scratch), "TMPDIR": str(scratch), "PYTHONDONTWRITEBYTECODE": "1"}


def _mkdirs(*paths: Path) -> None:
    for path in paths:
        path.mkdir(parents=True, exist_ok=True)


def _segments(proc: ServiceProcess) -> list[dict[str, Any]]:
    now = datetime.now().astimezone()
    params = {"start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(minutes=1)).isoformat()}
    r = httpx.get(proc.url + f"/cameras/{CAMERA}/recordings", params=params, auth=proc.auth, timeout=10)
    assert r.status_code == 200, r.text
    segments: list[dict[str, Any]] = r.json()
    return segments


def _wait_segments(proc: ServiceProcess, count: int, timeout: float = 45) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while len(segments := _segments(proc)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} segments:\n{proc.log_tail()}"
        time.sleep(0.5)
    return segments


def _record(proc: ServiceProcess, url: str) -> None:
    body = {"id": CAMERA, "name": "Dock", "url": url, "category": "beach", "sampling_fps": 1}
    assert httpx.post(proc.url + "/cameras", json=body, auth=proc.auth, timeout=10).status_code == 201
    r = httpx.put(proc.url + f"/cameras/{CAMERA}/recording", json={"mode": "continuous"}, auth=proc.auth, timeout=10)
    assert r.status_code == 200, r.text


def _decoded(data: bytes, tmp: Path) -> tuple[int, float]:
    (tmp / "clip.mp4").write_bytes(data)
    with av.open(str(tmp / "clip.mp4")) as container:
        stream = container.streams.video[0]
        pts = [f.pts for f in container.decode(stream) if f.pts is not None]
        assert stream.time_base is not None
        return len(pts), float((max(pts) - min(pts)) * stream.time_base) if pts else 0.0


def test_recording_with_a_read_only_root_writes_to_the_volume_only(
    rtsp_server: Callable[[], RtspServer], ingest: Callable[..., ServiceProcess], tmp_path: Path
) -> None:
    volume, mount, scratch = tmp_path / "volume", tmp_path / "var-lib-cityops-recordings", tmp_path / "scratch"
    _mkdirs(volume, mount, scratch, ROOT / ".run")
    wrapper = read_only_root(volumes={mount: volume}, scratch=[scratch])
    # Inside, only the volume and the tmpfs take writes: not the code, not the checkout's default
    # recordings place, not the rest of the test's directory.
    candidates = [str(p) for p in (mount, scratch, ROOT, ROOT / ".run", tmp_path, Path.home())]
    probe = subprocess.run([*wrapper, sys.executable, "-c", PROBE, *candidates], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == [str(mount), str(scratch)]

    server = rtsp_server()
    proc = ingest(wrapper=wrapper, CITYOPS_INGEST_RECORDINGS_DIR=str(mount), **_scratch_env(scratch), **RECORDING)
    _record(proc, server.url(CLIP))
    segments = _wait_segments(proc, 2)
    on_volume = sorted((volume / CAMERA).rglob("*.mp4"))
    assert len(on_volume) >= len(segments) >= 2
    # A clip of the first two segments comes back from the volume, playable.
    start = datetime.fromisoformat(segments[0]["start_at"])
    end = datetime.fromisoformat(segments[1]["end_at"])
    clip = httpx.get(proc.url + f"/cameras/{CAMERA}/clip.mp4", params={"start": start.isoformat(),
                     "end": end.isoformat()}, auth=proc.auth, timeout=30)  # fmt: skip
    assert clip.status_code == 200, clip.text
    assert _decoded(clip.content, tmp_path)[0] > 0
    assert "Read-only file system" not in proc.log_text()


def test_a_clip_is_served_by_the_replica_that_did_not_record_it(
    rtsp_server: Callable[[], RtspServer], ingest: Callable[..., ServiceProcess], tmp_path: Path
) -> None:
    shared, mount_b, scratch = tmp_path / "shared-volume", tmp_path / "replica-b-mount", tmp_path / "scratch-b"
    _mkdirs(shared, mount_b, scratch)
    server = rtsp_server()
    recorder = ingest(CITYOPS_INGEST_REPLICA_ID="replica-a", CITYOPS_INGEST_RECORDINGS_DIR=str(shared), **RECORDING)
    _record(recorder, server.url(CLIP))

    def owner() -> str | None:
        status = httpx.get(recorder.url + f"/cameras/{CAMERA}", auth=recorder.auth, timeout=10).json()["status"]
        return status["owner"] if status["status"] == "online" else None

    deadline = time.monotonic() + 20
    while owner() != "replica-a":
        assert time.monotonic() < deadline, recorder.log_tail()
        time.sleep(0.3)
    # Replica B mounts the same volume somewhere else, and the recorder's path is not there at all: it
    # can only find the footage by the names relative to the recordings root.
    other = ingest(
        wrapper=read_only_root(volumes={mount_b: shared}, scratch=[scratch], hide=[shared]),
        CITYOPS_INGEST_REPLICA_ID="replica-b",
        CITYOPS_INGEST_RECORDINGS_DIR=str(mount_b),
        **_scratch_env(scratch),
        **RECORDING,
    )
    segments = _wait_segments(other, 3)
    assert owner() == "replica-a"  # one camera, two replicas: A keeps it (its fair share is one)
    metrics = httpx.get(other.url + "/metrics", timeout=10).text
    assert "\ncityops_recording_cameras 0.0" in metrics  # B records nothing itself

    start = datetime.fromisoformat(segments[0]["start_at"]) + timedelta(seconds=1)
    end = datetime.fromisoformat(segments[2]["end_at"]) - timedelta(seconds=1)
    clip = httpx.get(other.url + f"/cameras/{CAMERA}/clip.mp4", params={"start": start.isoformat(),
                     "end": end.isoformat()}, auth=other.auth, timeout=30)  # fmt: skip
    assert clip.status_code == 200, clip.text
    frames, span = _decoded(clip.content, tmp_path)
    assert frames > 0
    # Trimmed to keyframes (every 2 s of the footage): the range within one GOP at each end.
    assert abs(span - (end - start).total_seconds()) <= 2.5, (span, start, end)
