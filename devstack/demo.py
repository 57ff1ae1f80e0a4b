"""The demo camera of `make run`: real recorded street footage served over a real RTSP server,
registered in ingest as camera ``demo-vtest``, with the same footage at half size as its substream for
wall tiles (idempotent: an existing camera gets its URLs back).

    python -m devstack.demo      run the RTSP server, register the camera, stay up until stopped
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from devstack.footage import FootageUnavailable, vtest_h264, vtest_h264_substream
from devstack.identity import signed_headers
from devstack.rtsp import RtspServer
from shared.keys import KeySet

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = Path(os.environ.get("CITYOPS_RUN_DIR", ROOT / ".run"))
DEV_RTSP_PORT = 18554
CAMERA_ID = "demo-vtest"
CLIP = "vtest.mp4"
SUB_CLIP = "vtest-sub.mp4"


def _camera_body(url: str, substream_url: str | None) -> dict[str, object]:
    return {
        "id": CAMERA_ID,
        "name": "Demo: pedestrians and parked vehicles (recorded CCTV)",
        "url": url,
        "substream_url": substream_url,
        "category": "public_place",
        "location": {"lat": 19.7447, "lon": 105.9043, "address": "Demo footage (OpenCV vtest.avi)"},
        "tags": ["demo", "recorded"],
        "notes": "Debian opencv-doc vtest.avi, transcoded to H.264, looped by a local RTSP server.",
    }


def register(base: str, url: str, keys: KeySet, timeout_s: float = 120, substream_url: str | None = None) -> None:
    """Register the demo camera in ingest at ``base`` (signed as the gateway would), or give an
    existing one its URLs back."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    else:
        print(f"demo: ingest at {base} not ready after {timeout_s:g} s; camera not registered", flush=True)
        return
    body = _camera_body(url, substream_url)
    created = httpx.post(f"{base}/cameras", json=body, headers=signed_headers(keys, "ingest"), timeout=10)
    if created.status_code == 201:
        print(f"demo: camera {CAMERA_ID} registered ({url})", flush=True)
        return
    patched = httpx.patch(
        f"{base}/cameras/{CAMERA_ID}",
        json={"url": url, "substream_url": substream_url, "enabled": True},
        headers=signed_headers(keys, "ingest"),
        timeout=10,
    )
    patched.raise_for_status()
    print(f"demo: camera {CAMERA_ID} already registered, URL refreshed ({url})", flush=True)


def main() -> int:
    from services.ingest.settings import IngestSettings

    try:
        clip, sub_clip = vtest_h264(), vtest_h264_substream()
    except FootageUnavailable as exc:
        print(f"demo: no demo camera: {exc}", flush=True)
        signal.pause()  # stay up: honcho stops everything when one process exits
        return 0
    media = RUN_DIR / "rtsp"
    media.mkdir(parents=True, exist_ok=True)
    # A copy, not a link: the RTSP server refuses files reached through symlinks.
    for source, name in ((clip, CLIP), (sub_clip, SUB_CLIP)):
        if not (media / name).exists():
            shutil.copyfile(source, media / name)
    server = RtspServer(media, int(os.environ.get("CITYOPS_DEV_RTSP_PORT", DEV_RTSP_PORT)))

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    server.start()
    try:
        print(f"demo: RTSP server playing {clip.name} at {server.url(CLIP)}", flush=True)
        settings = IngestSettings()
        register(
            f"http://{settings.host}:{settings.port}",
            server.url(CLIP),
            settings.service_key_set(),
            substream_url=server.url(SUB_CLIP),
        )
        while server.proc is not None and server.proc.poll() is None:
            time.sleep(1)
        print("demo: RTSP server exited", flush=True)
        return 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
