"""Honest camera status: debounced transitions (no flapping on a looping clip), frozen pictures
detected while packets flow, every transition counted. Real RTSP server, real NATS, real ingest."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from devstack.rtsp import RtspServer
from devstack.servers import free_port
from shared.messages import CameraStatusChanged
from tests.ingest.footage import edited_clip
from tests.ingest.helpers import is_status, wait_for
from tests.ingest.test_streams import register
from tests.support import ServiceProcess


@pytest.fixture
def media(tmp_path: Path, footage_h264: Path) -> Path:
    directory = tmp_path / "media"
    directory.mkdir()
    # 4 s of street: the server ends the stream at the end of the file and the camera reconnects.
    edited_clip(footage_h264, directory / "loop.mp4", moving=40)
    # 4 s of street, then the same picture for 10 s (a stuck encoder): packets never stop.
    edited_clip(footage_h264, directory / "freeze.mp4", moving=40, still=100)
    return directory


@pytest.fixture
def camera_server(media: Path, tmp_path: Path) -> Iterator[RtspServer]:
    server = RtspServer(media, free_port(), log_path=tmp_path / "rtsp.log").start()
    yield server
    server.stop()


async def _statuses(nc: NATS, camera: str) -> list[CameraStatusChanged]:
    seen: list[CameraStatusChanged] = []

    async def on_status(msg: Msg) -> None:
        seen.append(CameraStatusChanged.model_validate_json(msg.data))

    await nc.subscribe(f"cameras.status.{camera}", cb=on_status)
    return seen


def _metric(proc: ServiceProcess, name: str, labels: str = "") -> float:
    text = httpx.get(proc.url + "/metrics", timeout=10).text
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


TRANSITIONS = "cityops_ingest_camera_status_transitions_total"
SUPPRESSED = "cityops_ingest_camera_status_flaps_suppressed_total"


async def test_a_looping_clip_reconnects_without_flapping_with_the_default_debounce(
    ingest: Callable[..., ServiceProcess], camera_server: RtspServer, nc: NATS
) -> None:
    proc = ingest()  # the shipped 10 s debounce
    client = httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth)
    seen = await _statuses(nc, "loop-1")
    await register(client, "loop-1", camera_server.url("loop.mp4"))
    await wait_for(is_status(client, "loop-1", "online"), 20, "online")
    # Five loops: each ends the stream and reconnects (up to the 5 s backoff cap, under the debounce).
    await wait_for(lambda: _metric(proc, SUPPRESSED) >= 4, 40, "reconnects seen and not reported")
    assert [(s.previous, s.status) for s in seen] == [(None, "connecting"), ("connecting", "online")]
    assert _metric(proc, TRANSITIONS, '{from="connecting",to="online"}') == 1
    assert _metric(proc, TRANSITIONS, '{from="online",to="offline"}') == 0
    reconnects = (await client.get("/cameras/loop-1")).json()["status"]["reconnects"]
    assert reconnects >= 4


async def test_the_debounce_is_configurable_and_counts_from_the_last_frame(
    ingest: Callable[..., ServiceProcess], camera_server: RtspServer, nc: NATS
) -> None:
    proc = ingest(CITYOPS_INGEST_STATUS_DEBOUNCE_S="4", CITYOPS_INGEST_BACKOFF_MAX_S="1")
    client = httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth)
    seen = await _statuses(nc, "gone-1")
    await register(client, "gone-1", camera_server.url("freeze.mp4"))
    await wait_for(is_status(client, "gone-1", "online"), 20, "online")
    camera_server.kill()  # the connection drops at once: the worker fails within a second
    killed = time.monotonic()
    offline = await wait_for(is_status(client, "gone-1", "offline"), 15, "offline after the debounce")
    waited = time.monotonic() - killed
    # Reported once "no frames" has held 4 s (since the last frame, just before the kill), not at once.
    assert 3.0 <= waited <= 9.0, waited
    assert offline["reason"]
    await asyncio.sleep(0.5)
    assert [s.status for s in seen][-1] == "offline"
    assert _metric(proc, TRANSITIONS, '{from="online",to="offline"}') == 1


async def test_a_frozen_picture_is_reported_while_packets_flow_and_recovers(
    ingest: Callable[..., ServiceProcess], camera_server: RtspServer, nc: NATS
) -> None:
    proc = ingest(CITYOPS_INGEST_STATUS_DEBOUNCE_S="1", CITYOPS_INGEST_FROZEN_AFTER_S="3")
    client = httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth)
    seen = await _statuses(nc, "still-1")
    frames: list[float] = []

    async def on_frame(_: Msg) -> None:
        frames.append(time.monotonic())

    await nc.subscribe("frames.still-1", cb=on_frame)
    await register(client, "still-1", camera_server.url("freeze.mp4"))
    frozen = await wait_for(is_status(client, "still-1", "frozen"), 30, "frozen")
    assert "unchanged" in frozen["reason"]
    assert frozen["fps"]  # frames still arrive: not offline
    since = time.monotonic()
    await asyncio.sleep(2)
    assert any(t > since for t in frames), "frames stopped flowing while frozen"
    # The clip loops back to the moving street: online again.
    await wait_for(is_status(client, "still-1", "online"), 20, "online once the picture moves")
    pairs = [(s.previous, s.status) for s in seen]
    assert ("online", "frozen") in pairs
    assert pairs.index(("frozen", "online")) > pairs.index(("online", "frozen"))
    assert _metric(proc, TRANSITIONS, '{from="online",to="frozen"}') >= 1
    assert _metric(proc, TRANSITIONS, '{from="frozen",to="online"}') >= 1
