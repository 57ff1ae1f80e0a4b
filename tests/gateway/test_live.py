"""Live events (SSE over JetStream), MJPEG from the frames subject, snapshots from KV, rate limits."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import cv2
import httpx
import nats
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from devstack.servers import NatsServer
from shared import subjects
from shared.messages import AlertEvent, FrameHeaders
from tests.gateway.conftest import start_gateway
from tests.support import NATS_ADMIN, ServiceProcess


def _alert(n: int) -> AlertEvent:
    now = datetime.now(UTC)
    return AlertEvent(
        alert_id=f"alert-{n}",
        phase="started",
        camera="beach-01",
        rule_id="r1",
        rule_type="crowd",
        count=n,
        started_at=now,
        at=now,
    )


async def _publish_alerts(url: str, numbers: range) -> None:
    nc = await nats.connect(url, **NATS_ADMIN)
    js = nc.jetstream()
    for n in numbers:
        await js.publish(subjects.alert("beach-01", "r1"), _alert(n).to_bytes(), headers={"Nats-Msg-Id": f"a-{n}"})
    await nc.drain()


async def _publish_outages(url: str) -> None:
    """Two outage incidents: the first does not list beach-01, the second does."""
    nc = await nats.connect(url, **NATS_ADMIN)
    js = nc.jetstream()
    now = datetime.now(UTC)
    for incident, cameras in (("inc-1", ["pier-01", "pier-02"]), ("inc-2", ["pier-03", "beach-01"])):
        event = AlertEvent(
            alert_id=incident,
            phase="started",
            source="outage",
            rule_type="camera_outage",
            count=2,
            started_at=now,
            at=now,
            cameras=cameras,
        )
        await js.publish(subjects.outage(incident), event.to_bytes(), headers={"Nats-Msg-Id": uuid.uuid4().hex})
    await nc.drain()


def _read_events(url: str, headers: dict[str, str], count: int, started: threading.Event) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    event_id = ""
    with httpx.stream("GET", url, headers=headers, timeout=20) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("id: "):
                event_id = line[4:]
                started.set()
            elif line.startswith("data: "):
                events.append((event_id, json.loads(line[6:])))
                if len(events) == count:
                    break
    return events


def test_sse_delivers_alerts_from_the_bus_and_resumes_after_reconnect_without_loss(
    gateway: ServiceProcess, nats_server: NatsServer, admin: dict[str, str]
) -> None:
    url = gateway.url + "/api/v1/events?types=alert&camera=beach-01"
    started = threading.Event()
    result: list[list[tuple[str, dict]]] = []
    reader = threading.Thread(target=lambda: result.append(_read_events(url, admin, 3, started)))
    reader.start()
    assert started.wait(10)
    asyncio.run(_publish_alerts(nats_server.url, range(1, 4)))
    reader.join(20)
    first = result[0]
    assert [e[1]["data"]["alert_id"] for e in first] == ["alert-1", "alert-2", "alert-3"]
    assert first[0][1]["subject"] == "alerts.beach-01.r1"
    last_id = first[-1][0]

    # While the dashboard is away, two more alerts happen; it reconnects with its last id.
    asyncio.run(_publish_alerts(nats_server.url, range(4, 6)))
    resumed = _read_events(url, {**admin, "Last-Event-ID": last_id}, 2, threading.Event())
    assert [e[1]["data"]["alert_id"] for e in resumed] == ["alert-4", "alert-5"]
    r = httpx.get(gateway.url + "/api/v1/events", headers={**admin, "Last-Event-ID": "garbage"})
    assert r.status_code == 422


def test_websocket_carries_the_same_feed_resumes_from_an_id_and_refuses_without_a_token(
    gateway: ServiceProcess, nats_server: NatsServer, admin: dict[str, str]
) -> None:
    url = gateway.url.replace("http://", "ws://") + "/api/v1/events/ws?types=alert&camera=beach-01"
    with connect(url, additional_headers=admin, open_timeout=10) as ws:
        hello = json.loads(ws.recv(timeout=10))
        assert hello["type"] == "connected"
        asyncio.run(_publish_alerts(nats_server.url, range(10, 12)))
        received = [json.loads(ws.recv(timeout=10)) for _ in range(2)]
        # An outage incident matches the camera filter when it lists the camera.
        asyncio.run(_publish_outages(nats_server.url))
        incident = json.loads(ws.recv(timeout=10))
    assert incident["data"]["alert_id"] == "inc-2"
    assert incident["subject"] == "alerts.outage.inc-2"
    assert [m["data"]["alert_id"] for m in received] == ["alert-10", "alert-11"]
    assert {m["type"] for m in received} == {"alert"}
    with connect(f"{url}&since={received[0]['id']}", additional_headers=admin, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "connected"
        assert json.loads(ws.recv(timeout=10))["data"]["alert_id"] == "alert-11"
    with connect(url, open_timeout=10) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason.startswith("401")


def _jpeg(seq: int) -> bytes:
    image = np.full((72, 128, 3), seq * 20 % 255, dtype=np.uint8)
    cv2.putText(image, str(seq), (10, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 2)
    return cv2.imencode(".jpg", image)[1].tobytes()


async def _publish_frames(url: str, camera: str, stop: threading.Event) -> None:
    nc = await nats.connect(url, **NATS_ADMIN)
    seq = 0
    while not stop.is_set():
        seq += 1
        headers = FrameHeaders(camera=camera, seq=seq, captured_at=datetime.now(UTC), width=128, height=72)
        await nc.publish(subjects.frames(camera), _jpeg(seq), headers=headers.to_headers())
        await asyncio.sleep(0.05)
    await nc.drain()


def test_mjpeg_streams_the_frames_published_for_the_camera(
    gateway: ServiceProcess, nats_server: NatsServer, admin: dict[str, str]
) -> None:
    stop = threading.Event()
    publisher = threading.Thread(target=lambda: asyncio.run(_publish_frames(nats_server.url, "cam-mjpeg", stop)))
    publisher.start()
    try:
        frames = []
        # Without a reason even an admin's view is redacted by ingest, which is not running here: the view
        # ends without a frame rather than show one unredacted.
        url = gateway.url + "/api/v1/cameras/cam-mjpeg/mjpeg?max_fps=20"
        with httpx.stream("GET", url, headers=admin, timeout=10) as response:
            assert b"\xff\xd8" not in response.read()
        with httpx.stream("GET", url, headers={**admin, "X-Cityops-Reason": "pier check"}, timeout=10) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("multipart/x-mixed-replace")
            buffer = b""
            for chunk in response.iter_bytes():
                buffer += chunk
                while (start := buffer.find(b"\xff\xd8")) != -1 and (end := buffer.find(b"\xff\xd9", start)) != -1:
                    frames.append(buffer[start : end + 2])
                    buffer = buffer[end + 2 :]
                if len(frames) >= 3:
                    break
    finally:
        stop.set()
        publisher.join(5)
    decoded = [cv2.imdecode(np.frombuffer(f, np.uint8), cv2.IMREAD_COLOR) for f in frames]
    assert all(img is not None and img.shape == (72, 128, 3) for img in decoded)


def test_a_raw_snapshot_comes_from_the_kv_bucket_and_404s_when_missing(
    gateway: ServiceProcess, nats_server: NatsServer, admin: dict[str, str]
) -> None:
    """An admin holds ``footage:raw``: with a reason, the gateway sends the bucket's frame itself; without
    one the frame is redacted by ingest (not running here: 503), as for any caller."""

    async def put() -> None:
        nc = await nats.connect(nats_server.url, **NATS_ADMIN)
        kv = await nc.jetstream().key_value(subjects.SNAPSHOTS.name)
        await kv.put("cam-snap", _jpeg(7))
        await nc.drain()

    asyncio.run(put())
    assert httpx.get(gateway.url + "/api/v1/cameras/cam-snap/snapshot.jpg", headers=admin).status_code == 503
    admin = {**admin, "X-Cityops-Reason": "checking the pier"}
    r = httpx.get(gateway.url + "/api/v1/cameras/cam-snap/snapshot.jpg", headers=admin)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert r.content == _jpeg(7)
    missing = httpx.get(gateway.url + "/api/v1/cameras/cam-none/snapshot.jpg", headers=admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["camera"] == "cam-none"
    assert httpx.get(gateway.url + "/api/v1/cameras/..%2Fetc/snapshot.jpg", headers=admin).status_code in (404, 422)


def _fresh_user(gateway: ServiceProcess, admin: dict[str, str]) -> tuple[str, str]:
    """A user no other test sends requests as: replicas on one NATS share what each caller used."""
    user, password = f"rl-{uuid.uuid4().hex[:6]}", "rate-limit-pw-1"
    body = {"username": user, "password": password, "roles": ["viewer"]}
    created = httpx.post(gateway.url + "/api/v1/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    return user, password


def test_rate_limit_answers_429_with_retry_after(
    nats_server: NatsServer, gateway_db: str, gateway: ServiceProcess, admin: dict[str, str], tmp_path: Path
) -> None:
    credentials = _fresh_user(gateway, admin)
    proc = start_gateway(nats_server, gateway_db, tmp_path, CITYOPS_GATEWAY_RATE_LIMIT_PER_MINUTE="5")
    try:
        statuses = []
        for _ in range(8):
            r = httpx.get(proc.url + "/api/v1/auth/me", auth=credentials)
            statuses.append(r.status_code)
        assert statuses[:5] == [200] * 5
        assert statuses[5:] == [429] * 3
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"] == "application/problem+json"
    finally:
        proc.stop()
