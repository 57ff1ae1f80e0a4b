"""Live video: server CPU of a 16-tile wall in Chromium against the same cameras unwatched, CPU per
viewer-stream, and a 6×6 wall (36 tiles) all live.

Real parts as in tests/live: nats-server, PostgreSQL, RTSP servers playing the H.264 clip, ingest and
the gateway as processes, Debian's Chromium through Playwright. CPU is read from /proc for the ingest
and gateway processes together.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from bench.infra import infra
from devstack.footage import vtest_h264
from tests.live.conftest import LiveSystem, live_system
from tests.live.test_live_browser import chromium, open_wall, playback, wait_all_advancing

WINDOW_S = 20.0
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(system: LiveSystem) -> float:
    total = 0
    for proc in (system.ingest, system.gateway):
        assert proc.proc is not None
        fields = Path(f"/proc/{proc.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _cpu_percent(system: LiveSystem, seconds: float = WINDOW_S) -> float:
    start, began = _cpu_s(system), time.monotonic()
    time.sleep(seconds)
    return 100 * (_cpu_s(system) - start) / (time.monotonic() - began)


def _wait_online(system: LiveSystem, cameras: list[str]) -> None:
    """(Playwright's sync API runs an event loop in this thread: no asyncio.run here.)"""
    deadline = time.monotonic() + 90
    for camera in cameras:
        while (
            httpx.get(f"{system.url}/api/v1/cameras/{camera}", headers=system.admin).json()["status"]["status"]
            != "online"
        ):
            assert time.monotonic() < deadline, f"{camera} never online"
            time.sleep(0.5)


def run() -> list[dict[str, object]]:
    with infra() as real, live_system(real.nats, real.pg.url(), vtest_h264()) as system:
        return _measure(system)


def _measure(system: LiveSystem) -> list[dict[str, object]]:
    wall = system.add_cameras(16, "wall")
    _wait_online(system, wall)
    time.sleep(3)
    idle = _cpu_percent(system)
    browsers = chromium()
    browser = next(browsers)
    try:
        page = open_wall(browser, system.url, {"width": 1920, "height": 1300})
        wait_all_advancing(page, wall, timeout=60)
        watched = _cpu_percent(system)
        page.close()
        # A 6×6 wall: 20 more cameras (analytics sampling at 0.5 fps, so ingest decodes their keyframes
        # only: two cores do not decode 36 streams for analytics and play them in Chromium too).
        more = system.add_cameras(20, "big", sampling_fps=0.5)
        _wait_online(system, more)
        page = open_wall(browser, system.url, {"width": 1920, "height": 1600})
        started = time.monotonic()
        try:
            wait_all_advancing(page, wall + more, timeout=90)
            all_live_s = time.monotonic() - started
        except AssertionError:
            all_live_s = float("nan")
        before = playback(page)
        time.sleep(5)
        after = playback(page)
        rates = sorted((after[c]["frames"] - before[c]["frames"]) / 5 for c in wall + more)
        moving = sum(rate > 0 for rate in rates)
        page.close()
    finally:
        browsers.close()
    per_stream = (watched - idle) / 16
    note = "16 cameras 768x576 H.264 10 fps over RTSP; ingest + gateway processes; one Chromium page; 2 cores"
    return [
        {"name": "wall16_server_cpu", "unit": "% of a core", "value": watched,
         "baseline_name": "same 16 cameras, no viewer (% of a core)", "baseline_value": idle,
         "ratio": watched / idle, "notes": note},
        {"name": "cpu_per_viewer_stream", "unit": "% of a core", "value": per_stream,
         "baseline_name": "ingest+gateway per camera unwatched (% of a core)", "baseline_value": idle / 16,
         "ratio": per_stream / (idle / 16), "notes": note},
        {"name": "wall36_tiles_advancing", "unit": "tiles", "value": float(moving),
         "baseline_name": "tiles on the wall", "baseline_value": 36.0, "ratio": moving / 36,
         "notes": f"new frames within 5 s on each; all 36 live {all_live_s:.1f} s after opening the page; frames/s "
                  f"per tile shown: min {rates[0]:.1f}, median {rates[18]:.1f}, max {rates[-1]:.1f} (source 10)"},
    ]  # fmt: skip
