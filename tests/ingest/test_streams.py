"""Stream workers against a real RTSP server playing real CCTV footage, frames on a real NATS."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
from collections.abc import Callable

import cv2
import httpx
import numpy as np
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from devstack.rtsp import RtspServer
from shared.messages import CameraStatusChanged, FrameHeaders
from tests.ingest.conftest import CLIP, FAST_TUNING
from tests.ingest.helpers import is_status, resources, status_of, wait_for
from tests.support import ServiceProcess

SECRET = "hunter2-cam"


async def register(client: httpx.AsyncClient, camera: str, url: str, **extra: object) -> None:
    body = {"id": camera, "name": camera, "url": url, "category": "public_place", **extra}
    response = await client.post("/cameras", json=body)
    assert response.status_code == 201, response.text


async def test_frames_published_with_headers_status_and_snapshot(
    ingest: Callable[..., ServiceProcess], rtsp_server: Callable[[], RtspServer], nc: NATS
) -> None:
    server = rtsp_server()
    proc = ingest()
    client = httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth)
    frames: asyncio.Queue[Msg] = asyncio.Queue()
    transitions: list[CameraStatusChanged] = []

    async def on_status(msg: Msg) -> None:
        transitions.append(CameraStatusChanged.model_validate_json(msg.data))

    await nc.subscribe("frames.street-1", cb=frames.put)
    await nc.subscribe("cameras.status.street-1", cb=on_status)
    await register(client, "street-1", server.url(CLIP))

    received = [await asyncio.wait_for(frames.get(), 20) for _ in range(12)]
    headers = [FrameHeaders.from_headers(m.headers or {}) for m in received]
    assert {h.camera for h in headers} == {"street-1"}
    assert {h.category for h in headers} == {"public_place"}  # analytics chooses the detector by it
    assert [h.seq for h in headers] == list(range(headers[0].seq, headers[0].seq + 12))
    # 768x576 footage downscaled to the default 640 px width, aspect kept.
    assert {(h.width, h.height) for h in headers} == {(640, 480)}
    image = cv2.imdecode(np.frombuffer(received[-1].data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    assert image.shape == (480, 640, 3)
    # Sampling at 5 fps of a 10 fps source: consecutive frames are 0.2 s apart on the source clock.
    steps = [b.pts - a.pts for a, b in itertools.pairwise(headers[1:]) if a.pts and b.pts]
    assert steps
    assert abs(statistics.median(steps) - 0.2) < 0.02, steps
    assert all(h.captured_at.tzinfo is not None for h in headers)

    status = await wait_for(is_status(client, "street-1", "online"), 10, "status online in the API")
    assert status["codec"] == "h264"
    assert (status["width"], status["height"]) == (768, 576)
    assert status["last_frame_at"] is not None

    async def fps_measured() -> bool:
        return ((await status_of(client, "street-1"))["fps"] or 0) > 5

    await wait_for(fps_measured, 10, "input fps measured (~10)")
    assert [t.status for t in transitions][:2] == ["connecting", "online"]

    async def snapshot_ready() -> httpx.Response | None:
        response = await client.get("/cameras/street-1/snapshot.jpg")
        return response if response.status_code == 200 else None

    snapshot = await wait_for(snapshot_ready, 10, "snapshot")
    assert snapshot.headers["content-type"] == "image/jpeg"
    assert snapshot.content[:2] == b"\xff\xd8"
    metrics = (await client.get("/metrics")).text
    assert 'cityops_ingest_frames_published_total{camera="street-1"}' in metrics


# Ten cycles: eight measured after the pools exist, enough for a per-cycle leak to stand out.
CYCLES = 10


async def test_kill_restart_cycles_recover_without_leaks_or_leaked_credentials(
    ingest: Callable[..., ServiceProcess], rtsp_server: Callable[[], RtspServer], nc: NATS
) -> None:
    server = rtsp_server()
    proc = ingest(**FAST_TUNING)
    client = httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth)
    transitions: list[str] = []

    async def on_status(msg: Msg) -> None:
        transitions.append(json.loads(msg.data)["status"])

    await nc.subscribe("cameras.status.gate-1", cb=on_status)
    url = server.url(CLIP).replace("rtsp://", f"rtsp://admin:{SECRET}@")
    await register(client, "gate-1", url)
    await wait_for(is_status(client, "gate-1", "online"), 20, "first online")

    baseline: tuple[int, int] | None = None
    for cycle in range(CYCLES):
        server.kill()
        offline = await wait_for(is_status(client, "gate-1", "offline"), 10, f"cycle {cycle}: offline")
        assert SECRET not in json.dumps(offline)
        server.start()
        await wait_for(is_status(client, "gate-1", "online"), 10, f"cycle {cycle}: back online")
        if cycle == 1:
            baseline = resources(proc)  # after the lazily created pools exist
    assert baseline is not None
    threads, fds = resources(proc)
    # asyncio's default executor adds threads on demand (bounded by min(32, cores + 4)) when a loaded
    # machine makes calls overlap; a per-cycle leak would add one per cycle, 8 over the cycles measured.
    assert threads <= baseline[0] + 3, f"threads {baseline[0]} -> {threads}"
    assert fds <= baseline[1] + 4, f"file descriptors {baseline[1]} -> {fds}"

    assert transitions.count("offline") >= CYCLES, transitions
    assert transitions.count("online") >= CYCLES + 1, transitions
    status = await status_of(client, "gate-1")
    assert status["reconnects"] >= CYCLES
    for path in ("/cameras", "/cameras/gate-1", "/metrics"):
        assert SECRET not in (await client.get(path)).text
    assert "camera.offline" in proc.log_text()
    assert SECRET not in proc.log_text()


async def test_stall_and_death_reported_after_the_10_s_debounce_with_default_settings(
    ingest: Callable[..., ServiceProcess], rtsp_server: Callable[[], RtspServer]
) -> None:
    server = rtsp_server()
    proc = ingest()
    client = httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth)
    await register(client, "pier-1", server.url(CLIP))
    await wait_for(is_status(client, "pier-1", "online"), 20, "online")

    # A condition is reported once it has held the default 10 s debounce, counted from its start (the
    # last frame); the margin is the status write and the poll.
    server.pause()  # connection stays open, nothing flows
    try:
        offline = await wait_for(is_status(client, "pier-1", "offline"), 13, "stall seen as offline")
        assert "stall" in offline["reason"]
        await asyncio.sleep(5)  # long enough for the worker to give up on the connection and retry
    finally:
        server.resume()
    await wait_for(is_status(client, "pier-1", "online"), 20, "online again after the stall")

    server.kill()
    await wait_for(is_status(client, "pier-1", "offline"), 13, "dead server seen as offline")
    await asyncio.sleep(5)  # reconnect attempts back off meanwhile
    server.start()
    await wait_for(is_status(client, "pier-1", "online"), 20, "online again after the restart")


async def test_disable_edit_enable_without_restart(
    ingest: Callable[..., ServiceProcess], rtsp_server: Callable[[], RtspServer], nc: NATS
) -> None:
    server = rtsp_server()
    proc = ingest()
    client = httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth)
    frames: list[FrameHeaders] = []

    async def on_frame(msg: Msg) -> None:
        frames.append(FrameHeaders.from_headers(msg.headers or {}))

    await nc.subscribe("frames.market-1", cb=on_frame)
    threads_before = resources(proc)[0]
    await register(client, "market-1", server.url(CLIP))
    await wait_for(lambda: len(frames) >= 3, 20, "frames flowing")
    threads_running = resources(proc)[0]
    assert threads_running > threads_before

    (await client.patch("/cameras/market-1", json={"enabled": False})).raise_for_status()
    await wait_for(lambda: resources(proc)[0] < threads_running, 10, "stream thread gone")
    await asyncio.sleep(1)
    seen = len(frames)
    await asyncio.sleep(2)
    assert len(frames) == seen, "frames still published after disabling"
    assert (await status_of(client, "market-1"))["status"] == "disabled"

    (await client.patch("/cameras/market-1", json={"enabled": True, "output_width": 320})).raise_for_status()
    await wait_for(lambda: frames and frames[-1].width == 320, 20, "frames again, at the new width")
    assert frames[-1].height == 240
    await wait_for(is_status(client, "market-1", "online"), 10, "online after re-enabling")
    assert proc.alive

    assert (await client.delete("/cameras/market-1")).status_code == 204
    await wait_for(lambda: resources(proc)[0] < threads_running, 10, "stream thread gone after delete")
