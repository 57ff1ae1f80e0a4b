"""Redaction through the gateway: an operator (no ``footage:raw``) gets a snapshot with the annotated
heads pixelated, reason or not; an admin with a reason gets the frame untouched, and its audit line says
"raw footage"; an admin without a reason gets what everyone gets."""

from __future__ import annotations

import asyncio
from pathlib import Path

import cv2
import httpx
import nats
import numpy as np

from services.ingest.privacy.redact import Redactor
from shared import subjects
from tests.e2e.conftest import System
from tests.ingest.test_redaction import FRAME, _assert_blurred, _heads
from tests.support import NATS_ADMIN

CAMERA = "e2e-redact"


async def _put_snapshot(url: str, jpeg: bytes) -> None:
    nc = await nats.connect(url, **NATS_ADMIN)
    try:
        await (await nc.jetstream().key_value(subjects.SNAPSHOTS.name)).put(CAMERA, jpeg)
    finally:
        await nc.drain()


def test_only_a_raw_footage_holder_giving_a_reason_sees_faces(system: System, footage_avi: Path) -> None:
    gw, admin = system.gateway, system.admin
    operator = system.user("operator")
    capture = cv2.VideoCapture(str(footage_avi))
    capture.set(cv2.CAP_PROP_POS_FRAMES, FRAME)
    ok, picture = capture.read()
    assert ok
    jpeg = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
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
