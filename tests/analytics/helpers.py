"""Publishing real frames like ingest does, reading alerts back from JetStream, polling the API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats
from nats.aio.client import Client as NATS
from nats.errors import TimeoutError as NatsTimeout

from shared import subjects
from shared.messages import AlertEvent, FrameHeaders
from tests.support import NATS_ADMIN, TEST_ADMIN, ServiceAuth

# 15 s before a minute ends, so a 28 s episode spans two minutes of counts.
BASE_TIME = datetime(2026, 7, 1, 9, 0, 45, tzinfo=UTC)
FULL_FRAME = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
# Direct calls to an analytics replica (given by its URL), signed as an administrator.
AUTH = ServiceAuth(TEST_ADMIN, "analytics")


async def publish_frames(
    nc: NATS,
    camera: str,
    jpegs: Sequence[bytes],
    *,
    first_seq: int = 0,
    fps: float = 10.0,
    pace: float | None = 25.0,
    base: datetime = BASE_TIME,
    live: bool = False,
    category: str | None = None,
) -> None:
    """Publish frames with ``FrameHeaders``; capture times are ``fps`` apart from ``base`` (or now if
    ``live``), published ``pace`` per second of wall time (None: as fast as possible)."""
    for i, jpeg in enumerate(jpegs):
        seq = first_seq + i
        at = datetime.now(UTC) if live else base + timedelta(seconds=seq / fps)
        headers = FrameHeaders(
            camera=camera, seq=seq, pts=seq / fps, captured_at=at, width=768, height=576, category=category
        )
        await nc.publish(subjects.frames(camera), jpeg, headers=headers.to_headers())
        if pace:
            await asyncio.sleep(1 / pace)
    await nc.flush()


async def wait_processed(api: str, camera: str, last_seq: int, timeout: float = 90.0) -> dict[str, Any]:
    """Poll the camera's stats until the frame ``last_seq`` went through the pipeline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    async with httpx.AsyncClient(base_url=api, timeout=5, auth=AUTH) as client:
        while time.monotonic() < deadline:
            r = await client.get(f"/cameras/{camera}/stats")
            if r.status_code == 200:
                last = r.json()
                if last["last_seq"] is not None and last["last_seq"] >= last_seq and last["queue_depth"] == 0:
                    return dict(last)
            await asyncio.sleep(0.2)
    raise AssertionError(f"{camera} did not process frame {last_seq} in {timeout}s; last stats {last}")


async def alert_events(nats_url: str, camera: str, quiet_s: float = 1.5) -> list[tuple[str, AlertEvent]]:
    """Every message of the ALERTS stream for ``camera``: (Nats-Msg-Id, event), in stream order."""
    nc = await nats.connect(nats_url, **NATS_ADMIN)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(f"alerts.{camera}.>", ordered_consumer=True)
        out = []
        while True:
            try:
                msg = await sub.next_msg(timeout=quiet_s)
            except NatsTimeout:
                break
            out.append(((msg.headers or {}).get("Nats-Msg-Id", ""), AlertEvent.model_validate_json(msg.data)))
        await sub.unsubscribe()
        return out
    finally:
        await nc.close()


async def create_rule(api: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=api, timeout=10, auth=AUTH) as client:
        r = await client.post("/rules", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())
