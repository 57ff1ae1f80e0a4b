"""Watching cameras over the live WebSocket with a real client: the fMP4 is the camera's own H.264,
playable, and the relay runs only while someone watches."""

from __future__ import annotations

import asyncio
import io
import json
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import av
import httpx
import nats
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.live.conftest import LINGER_S, RAW_REASON, LiveSystem
from tests.support import NATS_ADMIN


def ws_url(system: LiveSystem, reason: str | None = RAW_REASON) -> str:
    """The live WebSocket's URL; with ``reason`` an admin gets the cameras' own video."""
    query = "?" + urlencode({"reason": reason}) if reason else ""
    return system.url.replace("http://", "ws://") + "/api/v1/live" + query


def split(message: bytes) -> tuple[dict[str, Any], bytes]:
    (length,) = struct.unpack(">H", message[:2])
    return json.loads(message[2 : 2 + length]), message[2 + length :]


async def receive(ws: ClientConnection, seconds: float, until: Callable[[list[Any]], bool] | None = None) -> list[Any]:
    """Messages for ``seconds`` (or until ``until`` holds): (header, payload) or a JSON dict."""
    got: list[Any] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until and until(got)):
        try:
            message = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
        except TimeoutError:
            break
        got.append(split(message) if isinstance(message, bytes) else json.loads(message))
    return got


def sps(avcc: bytes) -> bytes:
    """The first SPS NAL unit of an avcC record."""
    (length,) = struct.unpack(">H", avcc[6:8])
    return avcc[8 : 8 + length]


def init_avcc(init: bytes) -> bytes:
    at = init.find(b"avcC")
    (size,) = struct.unpack(">I", init[at - 4 : at])
    return init[at + 4 : at - 4 + size]


async def metric(system: LiveSystem, name: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(system.ingest.ops_url + "/metrics")).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


async def published(system: LiveSystem, subject: str, seconds: float) -> int:
    nc = await nats.connect(system.nats.url, **NATS_ADMIN)
    count = 0

    async def on(_: Any) -> None:
        nonlocal count
        count += 1

    await nc.subscribe(subject, cb=on)
    await asyncio.sleep(seconds)
    await nc.close()
    return count


async def test_a_watched_camera_arrives_as_its_own_h264_in_playable_fmp4_and_stops_after_the_demand(
    system: LiveSystem, footage_h264: Path
) -> None:
    (camera,) = system.add_cameras(1, "ws")
    # Online, but nobody watches: nothing on the bus.
    await system.wait_online([camera])
    assert await published(system, f"live.{camera}.>", 2.0) == 0

    async with connect(ws_url(system), additional_headers=system.admin) as ws:
        started = time.monotonic()
        await ws.send(json.dumps({"op": "watch", "camera": camera, "quality": "sub"}))
        messages = await receive(ws, 20, until=lambda got: sum(isinstance(m, tuple) for m in got) >= 45)
        assert any(isinstance(m, tuple) for m in messages)
        first_media = next(i for i, m in enumerate(messages) if isinstance(m, tuple))
        assert time.monotonic() - started < 20
        statuses = [m["status"] for m in messages if isinstance(m, dict)]
        assert statuses[:1] == ["waiting"], statuses
        assert "live" in statuses
        media = [m for m in messages if isinstance(m, tuple)]
        assert first_media > 0
        assert media[0][0]["kind"] == "init", "a viewer starts with an init segment"
        assert media[1][0] == {"camera": camera, "quality": "sub", "kind": "fragment", "codec": media[0][0]["codec"],
                               "keyframe": True}  # fmt: skip
        # A second viewer of the same camera starts at once from the gateway's cache (init + GOP).
        async with connect(ws_url(system), additional_headers=system.admin) as second:
            await second.send(json.dumps({"op": "watch", "camera": camera, "quality": "sub"}))
            early = await receive(second, 1.0, until=lambda got: sum(isinstance(m, tuple) for m in got) >= 2)
            kinds = [m[0]["kind"] for m in early if isinstance(m, tuple)]
            assert kinds[:2] == ["init", "fragment"], early

    source = av.open(str(footage_h264))
    source_stream = source.streams.video[0]
    source_avcc = bytes(source_stream.codec_context.extradata or b"")
    init = media[0][1]
    # Passed through: the camera's own SPS (so its profile, level and resolution), not a re-encode.
    assert sps(init_avcc(init)) == sps(source_avcc)
    assert media[0][0]["codec"] == "avc1." + source_avcc[1:4].hex()
    stream = b"".join([init] + [payload for header, payload in media if header["kind"] == "fragment"])
    played = av.open(io.BytesIO(stream))
    video = played.streams.video[0]
    frames = list(played.decode(video))
    assert (video.codec_context.name, video.codec_context.width, video.codec_context.height) == (
        "h264",
        source_stream.codec_context.width,
        source_stream.codec_context.height,
    )
    fragments = sum(1 for header, _ in media if header["kind"] == "fragment")
    assert fragments >= 40
    times = [f.time for f in frames]
    # The test camera loops a 79.5 s file, and a watch of 4.5 s spans the loop point about one time in 18:
    # full runs then saw the times start again (a second 0.1 s) and one frame fewer than fragments. Outside
    # that one wrap: one frame a fragment, in time order, 10 fps.
    wraps = [i for i in range(1, len(times)) if times[i] < times[i - 1]]
    assert len(wraps) <= 1, times
    assert fragments - 1 <= len(frames) <= fragments
    for run in (times[: wraps[0]], times[wraps[0] :]) if wraps else (times,):
        if len(run) > 1:
            assert run == sorted(run)
            assert run[-1] - run[0] == pytest.approx((len(run) - 1) / 10, abs=0.15)
    source.close()

    # Nobody watches any more: within the linger (plus a demand period) the relay stops.
    assert await metric(system, "cityops_ingest_live_relays") == 1
    await asyncio.sleep(LINGER_S + 2)
    assert await published(system, f"live.{camera}.>", 2.0) == 0
    assert await metric(system, "cityops_ingest_live_relays") == 0


async def test_commands_are_checked_and_unknown_cameras_named(system: LiveSystem) -> None:
    async with connect(ws_url(system), additional_headers=system.admin) as ws:
        await ws.send(json.dumps({"op": "watch", "camera": "no-such-camera"}))
        await ws.send(json.dumps({"op": "watch", "camera": "Bad Id!"}))
        await ws.send("not json")
        got = await receive(ws, 5, until=lambda got: len(got) >= 3)
    assert {"camera": "no-such-camera", "quality": "sub", "status": "unknown"} in got
    assert [m["field"] for m in got if "error" in m] == ["camera", "body"]


@pytest.mark.parametrize("where", ["nothing", "url"])
async def test_a_client_without_credentials_or_with_a_token_in_the_url_is_refused(
    system: LiveSystem, where: str
) -> None:
    token = system.admin["Authorization"].split()[1]
    url = ws_url(system, reason=None) + (f"?access_token={token}" if where == "url" else "")
    async with connect(url) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason.startswith("401")


async def test_a_masked_camera_is_watched_transcoded_with_its_mask_black(system: LiveSystem) -> None:
    (camera,) = system.add_cameras(1, "masked")
    quarter = [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]]
    async with httpx.AsyncClient(base_url=system.url, headers=system.admin) as client:
        r = await client.patch(f"/api/v1/cameras/{camera}", json={"privacy_masks": quarter})
        assert r.status_code == 200, r.text
    await system.wait_online([camera])
    async with connect(ws_url(system), additional_headers=system.admin) as ws:
        await ws.send(json.dumps({"op": "watch", "camera": camera, "quality": "sub"}))
        messages = await receive(ws, 30, until=lambda got: sum(isinstance(m, tuple) for m in got) >= 25)
    media = [m for m in messages if isinstance(m, tuple)]
    assert media, messages
    assert media[0][0]["kind"] == "init"
    stream = b"".join([media[0][1]] + [payload for header, payload in media if header["kind"] == "fragment"])
    with av.open(io.BytesIO(stream)) as played:
        frames = [f.to_ndarray(format="gray") for f in played.decode(played.streams.video[0])]
    assert len(frames) >= 20  # every frame, not only the keyframes sampling decodes
    for gray in frames:
        h, w = gray.shape
        assert w <= 640  # made from frames (the tile size of a transcode), not the camera's packets
        assert gray[: h // 2 - 4, : w // 2 - 4].max() <= 24
        assert gray[h // 2 + 4 :, w // 2 + 4 :].mean() > 40
