"""The camera health check through the running service: covered, blurred and turned-away cameras each
raise a `tamper` alert on the bus within 60 s (capture time) with the shipped settings; a normal camera
raises nothing. Real NATS, PostgreSQL and analytics; frames published as ingest publishes them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import cv2
import httpx
import nats
import numpy as np

from devstack.servers import NatsServer
from tests.analytics.helpers import BASE_TIME, alert_events, publish_frames, wait_processed
from tests.support import NATS_ADMIN, ServiceProcess

FPS = 2.0
NORMAL = 60  # 30 s of the street: the camera's usual picture is learned
TAMPERED = 60  # then 30 s of tampered picture


def _jpeg(frame: np.ndarray) -> bytes:
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return jpeg.tobytes()


def _tampered(jpegs: list[bytes], change: Callable[[np.ndarray], np.ndarray]) -> list[bytes]:
    return [_jpeg(change(np.asarray(cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_COLOR)))) for j in jpegs]


CHANGES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "covered": lambda f: np.full_like(f, 10),
    "blurred": lambda f: cv2.GaussianBlur(f, (0, 0), 3),
    "turned away": lambda f: np.roll(f, f.shape[1] // 3, axis=1),
}


async def test_covered_blurred_and_turned_away_cameras_raise_a_tamper_alert_a_normal_one_does_not(
    nats_server: NatsServer, start_analytics: Callable[..., ServiceProcess], clip_jpegs: list[bytes]
) -> None:
    proc = start_analytics(CITYOPS_ANALYTICS_DETECTOR="motion_blob")
    street = clip_jpegs[::5]  # the clip sampled at 2 fps: 64 frames, looped
    normal = [street[i % len(street)] for i in range(NORMAL + TAMPERED)]
    feeds = {"tamper-ok": normal}
    for i, change in enumerate(CHANGES.values()):
        feeds[f"tamper-{i}"] = normal[:NORMAL] + _tampered(normal[NORMAL:], change)
    # Covered as well, but under a maintenance window: no health alert (its frames are captured now,
    # inside the window).
    now = datetime.now(UTC)
    async with httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth) as client:
        window = {"cameras": ["tamper-held"], "starts_at": (now - timedelta(minutes=2)).isoformat(),
                  "ends_at": (now + timedelta(hours=1)).isoformat(), "reason": "lens cleaning"}  # fmt: skip
        assert (await client.post("/maintenance-windows", json=window)).status_code == 201
    nc = await nats.connect(nats_server.url, **NATS_ADMIN)
    try:
        await asyncio.gather(
            *(publish_frames(nc, camera, frames, fps=FPS) for camera, frames in feeds.items()),
            publish_frames(nc, "tamper-held", feeds["tamper-0"], fps=FPS, base=now - timedelta(minutes=1)),
        )
    finally:
        await nc.close()
    await wait_processed(proc.url, "tamper-held", len(feeds["tamper-0"]) - 1)
    for camera, frames in feeds.items():
        await wait_processed(proc.url, camera, len(frames) - 1)

    onset = BASE_TIME + timedelta(seconds=NORMAL / FPS)
    for i, kind in enumerate(CHANGES):
        camera = f"tamper-{i}"
        events = []
        for _ in range(50):  # the outbox relay publishes shortly after the transaction
            events = [e for _, e in await alert_events(nats_server.url, camera, quiet_s=0.3)]
            if events:
                break
        (event,) = events
        assert (event.phase, event.rule_type, event.camera) == ("started", "tamper", camera)
        assert event.detail is not None
        assert event.detail.startswith(kind), event.detail
        assert onset < event.started_at <= onset + timedelta(seconds=60)
    assert await alert_events(nats_server.url, "tamper-ok", quiet_s=1.0) == []
    assert await alert_events(nats_server.url, "tamper-held", quiet_s=1.0) == []

    # Operators find them like any alert, by type.
    async with httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth) as client:
        listed = (await client.get("/alerts", params={"rule_type": "tamper"})).json()["items"]
    assert sorted(a["camera"] for a in listed) == ["tamper-0", "tamper-1", "tamper-2"]
    assert {a["rule_name"] for a in listed} == {"Camera tamper"}
