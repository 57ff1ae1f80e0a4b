"""A camera's substream feeds its wall tiles: over the real WebSocket, ``sub`` is the small stream from
``substream_url`` and ``main`` the camera's full resolution, each from its own RTSP session; the
substream is open only while someone watches the tiles, and stopping the camera closes it."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import httpx
from websockets.asyncio.client import connect

from devstack.servers import free_port
from tests.live.conftest import LINGER_S, LiveSystem
from tests.live.test_live_ws import metric, receive, ws_url

SUB_SIZE = (320, 240)
SUBSTREAMS = "cityops_ingest_live_substreams"
SECRET = "Sub-s3cret-xyz"


def small_clip(source: Path, target: Path, frames: int = 100, codec: str = "libx264") -> Path:
    """The first ``frames`` of ``source`` at SUB_SIZE, 10 fps, a keyframe every second: a camera's
    substream."""
    with av.open(str(source)) as src, av.open(str(target), "w") as dst:
        out = dst.add_stream(codec, rate=Fraction(10, 1))
        out.width, out.height = SUB_SIZE
        out.pix_fmt = "yuv420p"
        if codec == "libx264":
            out.options = {"preset": "veryfast", "crf": "28", "g": "10", "bf": "0"}
        else:
            out.options = {"preset": "ultrafast", "x265-params": "keyint=10:bframes=0:log-level=error"}
        for i, frame in enumerate(src.decode(video=0)):
            if i == frames:
                break
            small = frame.reformat(width=SUB_SIZE[0], height=SUB_SIZE[1], format="yuv420p")
            small.pts = None
            for packet in out.encode(small):
                dst.mux(packet)
        for packet in out.encode():
            dst.mux(packet)
    return target


def camera_with_substream(system: LiveSystem, footage: Path, camera: str, codec: str = "libx264") -> dict[str, str]:
    """The body registering ``camera``: ``footage`` as its main stream, a small ``codec`` copy as its
    substream, both served by the test's RTSP server."""
    shutil.copyfile(footage, system.media / f"{camera}.mp4")
    small_clip(footage, system.media / f"{camera}-sub.mp4", codec=codec)
    return {
        "id": camera,
        "name": camera,
        "url": system.rtsp.url(f"{camera}.mp4"),
        "substream_url": system.rtsp.url(f"{camera}-sub.mp4"),
        "category": "market",
    }


def decoded_sizes(media: list[tuple[dict[str, Any], bytes]], quality: str, codec: str = "h264") -> set[tuple[int, int]]:
    """The picture sizes of the ``quality`` fMP4 a viewer got (its first init, then its fragments),
    checking that it is ``codec``."""
    mine = [(header, payload) for header, payload in media if header["quality"] == quality]
    init = next(payload for header, payload in mine if header["kind"] == "init")
    stream = b"".join([init] + [payload for header, payload in mine if header["kind"] == "fragment"])
    with av.open(io.BytesIO(stream)) as played:
        assert played.streams.video[0].codec_context.name == codec
        return {(f.width, f.height) for f in played.decode(video=0)}


async def wait_metric(system: LiveSystem, name: str, value: float, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (seen := await metric(system, name)) != value:
        assert time.monotonic() < deadline, f"{name} stayed {seen}, not {value}"
        await asyncio.sleep(0.5)


def media_count(quality: str) -> Any:
    return lambda got: sum(isinstance(m, tuple) and m[0]["quality"] == quality for m in got) >= 25


async def test_tiles_show_the_substream_and_single_view_the_main_stream(system: LiveSystem, footage_h264: Path) -> None:
    camera = "subcam"
    body = camera_with_substream(system, footage_h264, camera)
    async with httpx.AsyncClient(base_url=system.url, headers=system.admin) as api:
        r = await api.post("/api/v1/cameras", json=body)
        assert r.status_code == 201, r.text
        assert r.json()["substream_url"] == body["substream_url"]
        await system.wait_online([camera])
        with av.open(str(footage_h264)) as source:
            main_size = (source.streams.video[0].codec_context.width, source.streams.video[0].codec_context.height)
        # Nobody watches the tiles: the camera's one RTSP session is the worker's.
        assert await metric(system, SUBSTREAMS) == 0

        async with connect(ws_url(system), additional_headers=system.admin) as ws:
            await ws.send(json.dumps({"op": "watch", "camera": camera, "quality": "sub"}))
            tiles = [m for m in await receive(ws, 25, until=media_count("sub")) if isinstance(m, tuple)]
            assert await metric(system, SUBSTREAMS) == 1
            await ws.send(json.dumps({"op": "watch", "camera": camera, "quality": "main"}))
            both = [m for m in await receive(ws, 25, until=media_count("main")) if isinstance(m, tuple)]
            assert decoded_sizes(tiles + both, "sub") == {SUB_SIZE}
            assert decoded_sizes(both, "main") == {main_size}

            # Stopping the camera closes its substream although the tiles are still watched.
            r = await api.patch(f"/api/v1/cameras/{camera}", json={"enabled": False})
            assert r.status_code == 200, r.text
            await wait_metric(system, SUBSTREAMS, 0, timeout=10)

            # Back on: the watched tiles get their substream again, and lose it once nobody watches.
            r = await api.patch(f"/api/v1/cameras/{camera}", json={"enabled": True})
            assert r.status_code == 200, r.text
            await wait_metric(system, SUBSTREAMS, 1, timeout=20)
        await wait_metric(system, SUBSTREAMS, 0, timeout=LINGER_S + 5)


async def test_a_dead_substream_is_retried_without_falling_back_and_its_credentials_never_shown(
    system: LiveSystem, footage_h264: Path
) -> None:
    camera = "subdead"
    shutil.copyfile(footage_h264, system.media / f"{camera}.mp4")
    dead = free_port()  # nothing listens: every connection is refused
    body = {
        "id": camera,
        "name": camera,
        "url": system.rtsp.url(f"{camera}.mp4"),
        "substream_url": f"rtsp://op:{SECRET}@127.0.0.1:{dead}/sub",
        "category": "market",
    }
    async with httpx.AsyncClient(base_url=system.url, headers=system.admin) as api:
        created = await api.post("/api/v1/cameras", json=body)
        assert created.status_code == 201, created.text
        masked = f"rtsp://op:***@127.0.0.1:{dead}/sub"
        assert created.json()["substream_url"] == masked
        listed = (await api.get("/api/v1/cameras")).text
        await system.wait_online([camera])

        def failures() -> list[str]:
            return [
                line
                for line in system.ingest.log_text().splitlines()
                if "live.substream_failed" in line and f'"{camera}"' in line
            ]

        async with connect(ws_url(system), additional_headers=system.admin) as ws:
            await ws.send(json.dumps({"op": "watch", "camera": camera, "quality": "sub"}))
            deadline = time.monotonic() + 20
            while len(failures()) < 2:  # it keeps trying, with backoff
                assert time.monotonic() < deadline, system.ingest.log_tail()
                await asyncio.sleep(0.5)
            # Tiles wait for their substream rather than pull the main stream behind the operator's back.
            got = await receive(ws, 2)
            assert [m for m in got if isinstance(m, tuple)] == []
    async with httpx.AsyncClient() as plain:
        metrics = (await plain.get(system.ingest.ops_url + "/metrics")).text
    logs = system.ingest.log_text() + system.gateway.log_text()
    assert any("camera.created" in line and masked in line for line in logs.splitlines())
    assert SECRET not in logs + metrics + created.text + listed


async def test_an_hevc_substream_reaches_the_tiles_transcoded_to_h264(system: LiveSystem, footage_h264: Path) -> None:
    camera = "subhevc"
    body = camera_with_substream(system, footage_h264, camera, codec="libx265")
    async with httpx.AsyncClient(base_url=system.url, headers=system.admin) as api:
        created = await api.post("/api/v1/cameras", json=body)
        assert created.status_code == 201, created.text
    await system.wait_online([camera])
    async with connect(ws_url(system), additional_headers=system.admin) as ws:
        await ws.send(json.dumps({"op": "watch", "camera": camera, "quality": "sub"}))
        tiles = [m for m in await receive(ws, 25, until=media_count("sub")) if isinstance(m, tuple)]
    # Chromium's MSE does not play HEVC: the substream is decoded and made H.264 (it is under 640 px).
    opened = [line for line in system.ingest.log_text().splitlines() if "live.substream_opened" in line]
    assert any(f'"{camera}"' in line and '"hevc"' in line for line in opened), opened
    assert tiles[0][0]["codec"].startswith("avc1.")
    assert decoded_sizes(tiles, "sub", codec="h264") == {SUB_SIZE}
