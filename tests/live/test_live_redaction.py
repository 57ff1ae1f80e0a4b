"""Live tiles through the gateway: a viewer without ``footage:raw`` gets the camera with the annotated heads
pixelated (a reason does not change that), an admin giving a reason gets the camera's own H.264, and each
watch is an audit line, the raw one saying "raw footage"."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import numpy.typing as npt
from prometheus_client import REGISTRY
from websockets.asyncio.client import connect

from services.ingest.live.fmp4 import Chunk
from services.ingest.live.redacted import QUEUE_FRAMES, RedactedFeed, tile_frame
from services.ingest.privacy.redact import Redactor, redactor
from tests.ingest.test_redaction import _assert_blurred, _heads
from tests.live.conftest import LiveSystem
from tests.live.test_live_ws import init_avcc, receive, sps, ws_url

ANNOTATED = tuple(range(5, 795, 13))  # the vtest frames with annotated heads (faces.json)


def _media(messages: list[Any]) -> list[tuple[dict[str, Any], bytes]]:
    return [m for m in messages if isinstance(m, tuple)]


def _decoded(media: list[tuple[dict[str, Any], bytes]]) -> list[npt.NDArray[Any]]:
    """The pictures of a viewer's fMP4 (from its first init on)."""
    first = next(i for i, (header, _) in enumerate(media) if header["kind"] == "init")
    stream = media[first][1] + b"".join(p for h, p in media[first:] if h["kind"] == "fragment")
    with av.open(io.BytesIO(stream)) as played:
        return [f.to_ndarray(format="bgr24") for f in played.decode(played.streams.video[0])]


def _tiles(footage: Path) -> list[npt.NDArray[Any]]:
    """Every frame of the footage as ingest makes a tile of it, before redaction and encoding."""
    with av.open(str(footage)) as container:
        return [tile_frame(f).to_ndarray(format="bgr24") for f in container.decode(container.streams.video[0])]


def _index(picture: npt.NDArray[Any], thumbs: npt.NDArray[Any]) -> int:
    """Which footage frame a received picture is (the RTSP server loops the file): the nearest thumbnail."""
    thumb = picture[::8, ::8].astype(np.int16)
    return int(np.abs(thumbs - thumb).mean(axis=(1, 2, 3)).argmin())


async def test_a_tile_is_redacted_unless_an_admin_gives_a_reason(system: LiveSystem, footage_h264: Path) -> None:
    (camera,) = system.add_cameras(1, "redact")
    await system.wait_online([camera])
    operator = system.user("operator")
    # An operator giving a reason still has no footage:raw: the redacted video, as everyone's.
    async with connect(ws_url(system, reason="checking the crossing"), additional_headers=operator) as ws:
        await ws.send(json.dumps({"op": "watch", "camera": camera, "quality": "sub"}))
        redacted = _media(await receive(ws, 45, until=lambda got: len(_media(got)) >= 60))
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(system.ingest.ops_url + "/metrics")).text
    assert f'cityops_ingest_live_redacted_frames_total{{camera="{camera}"}}' in metrics
    async with connect(ws_url(system), additional_headers=system.admin) as ws:
        await ws.send(json.dumps({"op": "watch", "camera": camera, "quality": "sub"}))
        raw = _media(await receive(ws, 20, until=lambda got: len(_media(got)) >= 3))

    with av.open(str(footage_h264)) as source:
        source_sps = sps(bytes(source.streams.video[0].codec_context.extradata or b""))
    # The admin's: the camera's own H.264, passed through.
    assert raw[0][0]["kind"] == "init"
    assert sps(init_avcc(raw[0][1])) == source_sps
    # The operator's: the same quality asked for, a re-encode at tile size.
    assert {h["quality"] for h, _ in redacted} == {"sub"}
    init = next(p for h, p in redacted if h["kind"] == "init")
    assert sps(init_avcc(init)) != source_sps
    pictures = _decoded(redacted)
    assert len(pictures) >= 40
    tiles = _tiles(footage_h264)
    assert pictures[0].shape == tiles[0].shape == (480, 640, 3)
    thumbs = np.stack([t[::8, ::8] for t in tiles]).astype(np.int16)
    scale = 640 / 768
    checked = 0
    for picture in pictures:
        index = _index(picture, thumbs)
        if index not in ANNOTATED:
            continue
        heads = [[round(v * scale) for v in head] for head in _heads(index)]
        if len(heads) < 3:
            continue
        # The tile was encoded (x264 ultrafast) after redaction: about 7 grey levels of noise on the grass.
        _assert_blurred(tiles[index], picture, heads, Redactor().faces(tiles[index]), same_within=10)
        checked += 1
    assert checked >= 1, "no annotated frame among the received ones"

    async with httpx.AsyncClient(base_url=system.url, headers=system.admin) as client:
        lines = (await client.get("/api/v1/audit", params={"camera": camera, "kind": "live.view"})).json()["items"]
    assert sorted((line["reason"], line["detail"]) for line in lines) == [
        ("checking the crossing", None),
        ("live tests: the camera's own video", "raw footage"),
    ]


def _dropped(camera: str) -> float:
    return REGISTRY.get_sample_value("cityops_ingest_live_redaction_dropped_total", {"camera": camera}) or 0.0


def test_a_redaction_thread_behind_the_camera_drops_frames_and_never_holds_the_stream_thread(
    footage_h264: Path,
) -> None:
    # The face model loads once per process, on first use, holding the interpreter for seconds: not here.
    redactor().faces(np.zeros((64, 64, 3), np.uint8))
    emitted: list[Chunk] = []
    feed = RedactedFeed("drops", emitted.extend)
    before = _dropped("drops")
    with av.open(str(footage_h264)) as container:
        decoded = container.decode(container.streams.video[0])
        frames = [f for _, f in zip(range(QUEUE_FRAMES + 40), decoded, strict=False)]
    feed.want(True)
    started = time.perf_counter()
    for frame in frames:  # 7 s of the camera at once: far faster than detection
        feed.offer(frame)
    offered_s = time.perf_counter() - started
    # The stream thread only scaled and queued (about 1 ms a frame): it never waited for a detection.
    assert offered_s < 0.01 * len(frames) + 0.3, offered_s
    # The queue took QUEUE_FRAMES (and the thread the few it redacted meanwhile): the rest was dropped and counted.
    assert len(frames) - QUEUE_FRAMES - 12 <= _dropped("drops") - before <= len(frames) - QUEUE_FRAMES
    deadline = time.monotonic() + 30
    while not emitted and time.monotonic() < deadline:
        time.sleep(0.1)
    feed.want(False)
    assert feed.join(10)
    # What was kept was redacted and encoded, starting with an init.
    assert emitted
    assert emitted[0].kind == "init"
