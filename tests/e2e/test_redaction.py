"""Redaction through the gateway: an operator (no ``footage:raw``) gets a snapshot with the annotated
heads pixelated, and a clip with the faces pixelated, reason or not; an admin with a reason gets the
footage untouched, and its audit line says "raw footage"; an admin without a reason gets what everyone
gets."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import httpx
import nats
import numpy as np
import pytest

from devstack.servers import NatsServer
from services.ingest.privacy.redact import Redactor
from shared import subjects
from shared.messages import FrameHeaders
from tests.e2e.conftest import CLIP, System, running_system, until
from tests.ingest.test_redaction import FRAME, _assert_blurred, _detail, _frames, _heads, annotated_jpeg
from tests.support import NATS_ADMIN

CAMERA = "e2e-redact"
MJPEG_CAMERA = "e2e-redact-mjpeg"
RECORDED = "e2e-redact-rec"


@pytest.fixture(scope="module")
def recording_system(nats_server: NatsServer, module_database: str, footage_h264: Path) -> Iterator[System]:
    # Short segments, so footage is indexed within seconds.
    env = {"CITYOPS_INGEST_SEGMENT_S": "3", "CITYOPS_INGEST_RECORDING_RECONCILE_S": "1"}
    with running_system(nats_server, module_database, footage_h264, **env) as system:
        yield system


async def _put_snapshot(url: str, jpeg: bytes) -> None:
    nc = await nats.connect(url, **NATS_ADMIN)
    try:
        await (await nc.jetstream().key_value(subjects.SNAPSHOTS.name)).put(CAMERA, jpeg)
    finally:
        await nc.drain()


def test_only_a_raw_footage_holder_giving_a_reason_sees_faces(system: System, footage_avi: Path) -> None:
    gw, admin = system.gateway, system.admin
    operator = system.user("operator")
    jpeg = annotated_jpeg(footage_avi)
    # A camera nobody can reach: its snapshot is the frame put in the bucket here, and stays it.
    camera = {"id": CAMERA, "name": "Redact (e2e)", "url": "rtsp://127.0.0.1:9/none", "category": "traffic"}
    assert httpx.post(gw + "/api/v1/cameras", json=camera, headers=admin).status_code == 201
    asyncio.run(_put_snapshot(system.nats.url, jpeg))
    url = gw + f"/api/v1/cameras/{CAMERA}/snapshot.jpg"
    reason = {"X-Cityops-Reason": "incident 7 on the crossing"}

    redacted = httpx.get(url, headers={**operator, **reason}, timeout=30)
    plain_admin = httpx.get(url, headers=admin, timeout=30)
    raw = httpx.get(url, headers={**admin, **reason}, timeout=30)
    assert redacted.status_code == plain_admin.status_code == raw.status_code == 200
    assert raw.content == jpeg
    assert redacted.content != jpeg
    assert plain_admin.content != jpeg
    source = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    blurred = cv2.imdecode(np.frombuffer(redacted.content, np.uint8), cv2.IMREAD_COLOR)
    assert source is not None
    assert blurred is not None
    _assert_blurred(source, blurred, _heads(FRAME), Redactor().faces(source))

    lines = httpx.get(gw + "/api/v1/audit", headers=admin, params={"camera": CAMERA, "kind": "snapshot.view"})
    assert lines.status_code == 200, lines.text
    items = lines.json()["items"]
    seen = sorted((a["actor"] == "user:admin", a["reason"] is not None, a["detail"]) for a in items)
    assert seen == [(False, True, None), (True, False, None), (True, True, "raw footage")]


def test_a_clip_is_redacted_for_an_operator_and_raw_for_an_admin_giving_a_reason(
    recording_system: System, tmp_path: Path
) -> None:
    system = recording_system
    gw, admin = system.gateway, system.admin
    operator = system.user("operator")
    body = {"id": RECORDED, "name": RECORDED, "url": system.rtsp.url(CLIP), "category": "street"}
    assert httpx.post(gw + "/api/v1/cameras", json=body, headers=admin).status_code == 201
    r = httpx.put(f"{gw}/api/v1/cameras/{RECORDED}/recording", json={"mode": "continuous"}, headers=admin)
    assert r.status_code == 200, r.text

    def covered() -> datetime | None:
        now = datetime.now(UTC)
        params = {"start": (now - timedelta(minutes=5)).isoformat(), "end": now.isoformat()}
        spans = httpx.get(f"{gw}/api/v1/cameras/{RECORDED}/coverage", params=params, headers=admin).json()
        if not spans:
            return None
        start, end = (datetime.fromisoformat(spans[0]["start_at"]), datetime.fromisoformat(spans[-1]["end_at"]))
        return start if end - start >= timedelta(seconds=5) else None

    start = until("5 s of footage", covered, 60, system)
    params = {"start": start.isoformat(), "end": (start + timedelta(seconds=3)).isoformat()}
    url = f"{gw}/api/v1/cameras/{RECORDED}/clip.mp4"
    clips = {}
    for name, headers in (("redacted", operator), ("raw", {**admin, "X-Cityops-Reason": "incident 9"})):
        clip = httpx.get(url, params=params, headers=headers, timeout=120)
        assert clip.status_code == 200, clip.text
        (tmp_path / f"{name}.mp4").write_bytes(clip.content)
        clips[name] = _frames(tmp_path / f"{name}.mp4", 1000)
    raw, redacted = clips["raw"], clips["redacted"]
    assert len(raw) == len(redacted) >= 20  # the same frames, decoded and encoded again
    ratios = []
    for index in (0, len(raw) // 2, len(raw) - 1):
        regions = Redactor().faces(raw[index])
        assert regions, index  # vtest always has people in view
        ratios += [_detail(redacted[index], r) / _detail(raw[index], r) for r in regions if _detail(raw[index], r)]
    assert sum(ratios) / len(ratios) < 0.6, ratios

    lines = httpx.get(gw + "/api/v1/audit", headers=admin, params={"camera": RECORDED, "kind": "clip.export"})
    assert sorted((a["actor"] == "user:admin", a["detail"]) for a in lines.json()["items"]) == [
        (False, None),
        (True, "raw footage"),
    ]


async def _publish_frame(url: str, jpeg: bytes, stop: threading.Event) -> None:
    nc = await nats.connect(url, **NATS_ADMIN)
    seq = 0
    while not stop.is_set():
        seq += 1
        headers = FrameHeaders(camera=MJPEG_CAMERA, seq=seq, captured_at=datetime.now(UTC), width=768, height=576)
        await nc.publish(subjects.frames(MJPEG_CAMERA), jpeg, headers=headers.to_headers())
        await asyncio.sleep(0.1)
    await nc.drain()


def _first_part(url: str, headers: dict[str, str]) -> bytes:
    with httpx.stream("GET", url, headers=headers, timeout=30) as response:
        assert response.status_code == 200
        buffer = b""
        for chunk in response.iter_bytes():
            buffer += chunk
            if (start := buffer.find(b"\xff\xd8")) != -1 and (end := buffer.find(b"\xff\xd9", start)) != -1:
                return buffer[start : end + 2]
    raise AssertionError("the MJPEG view ended without a frame")


def test_an_mjpeg_view_is_redacted_unless_an_admin_gives_a_reason(system: System, footage_avi: Path) -> None:
    gw, admin = system.gateway, system.admin
    jpeg = annotated_jpeg(footage_avi)
    camera = {"id": MJPEG_CAMERA, "name": "MJPEG (e2e)", "url": "rtsp://127.0.0.1:9/none", "category": "traffic"}
    assert httpx.post(gw + "/api/v1/cameras", json=camera, headers=admin).status_code == 201
    stop = threading.Event()
    publisher = threading.Thread(target=lambda: asyncio.run(_publish_frame(system.nats.url, jpeg, stop)))
    publisher.start()
    try:
        url = gw + f"/api/v1/cameras/{MJPEG_CAMERA}/mjpeg"
        redacted = _first_part(url, system.user("operator"))
        raw = _first_part(url, {**admin, "X-Cityops-Reason": "incident 8"})
    finally:
        stop.set()
        publisher.join(5)
    assert raw == jpeg
    source = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    blurred = cv2.imdecode(np.frombuffer(redacted, np.uint8), cv2.IMREAD_COLOR)
    assert source is not None
    assert blurred is not None
    _assert_blurred(source, blurred, _heads(FRAME), Redactor().faces(source))
