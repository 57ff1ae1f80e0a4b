"""A camera password planted in the registry never comes back out: not in any log line of any service of the
run, nor in /metrics, camera status events, API responses or errors, while its stream and recorder fail
(FFmpeg's errors quote the URL they could not open)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import nats

from devstack.servers import free_port
from shared.subjects import STREAMS
from tests.e2e.conftest import System
from tests.support import NATS_ADMIN

# A raw '@' in the password: the old scrubber masked up to the first '@' and printed the rest.
PASSWORD = "plantedPw@tail7Secret"
QUERY_TOKEN = "plantedQueryTok9"
LEAKS = ("plantedPw", "tail7Secret", QUERY_TOKEN)
STATUS_STREAM = next(s.name for s in STREAMS if s.subjects == ("cameras.status.>",))


def _wait_for_log(system: System, event: str, camera: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in system.services["ingest"].log_text().splitlines():
            if f'"event": "{event}"' in line and f'"camera": "{camera}"' in line:
                return
        time.sleep(0.5)
    raise AssertionError(f"no {event} for {camera} within {timeout} s:\n{system.services['ingest'].log_tail()}")


def _camera_status_events(nats_url: str) -> list[str]:
    """Every message of the CAMERA_STATUS stream, as text."""

    async def read() -> list[str]:
        nc = await nats.connect(nats_url, **NATS_ADMIN)
        try:
            js = nc.jetstream()
            info = await js.stream_info(STATUS_STREAM)
            seqs = range(info.state.first_seq, info.state.last_seq + 1)
            messages = [await js.get_msg(STATUS_STREAM, seq) for seq in seqs]
            return [(m.data or b"").decode(errors="replace") for m in messages]
        finally:
            await nc.close()

    return asyncio.run(read())


def test_planted_password_appears_nowhere_in_a_failing_run(system: System) -> None:
    gw, admin = system.gateway, system.admin
    dead = free_port()  # nothing listens here: every connection is refused, with the URL in the error
    cameras = {
        "leak-rtsp": f"rtsp://op:{PASSWORD}@127.0.0.1:{dead}/live",
        "leak-http": f"http://127.0.0.1:{dead}/snap.cgi?user=op&password={QUERY_TOKEN}",
    }
    responses: list[str] = []
    for camera, url in cameras.items():
        body = {"id": camera, "name": camera, "url": url, "category": "agency"}
        created = httpx.post(gw + "/api/v1/cameras", json=body, headers=admin)
        assert created.status_code == 201, created.text
        recording = httpx.put(f"{gw}/api/v1/cameras/{camera}/recording", json={"mode": "continuous"}, headers=admin)
        assert recording.status_code == 200, recording.text
        responses += [created.text, recording.text]
    assert json.loads(responses[0])["url"] == f"rtsp://op:***@127.0.0.1:{dead}/live"

    for camera in cameras:
        _wait_for_log(system, "camera.stream_failed", camera)
        _wait_for_log(system, "recording.stream_failed", camera)

    # An error that quotes the URL: a refused URL answers 422 without the password in the problem.
    refused = httpx.post(
        gw + "/api/v1/cameras",
        json={"id": "leak-meta", "name": "m", "category": "agency",
              "url": f"http://op:{PASSWORD}@169.254.169.254/latest/meta-data/"},
        headers=admin,
    )  # fmt: skip
    assert refused.status_code == 422, refused.text
    patched = httpx.patch(
        gw + "/api/v1/cameras/leak-rtsp", json={"url": f"rtsp://op:***@127.0.0.1:{dead}/other"}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    responses += [refused.text, patched.text]
    for path in ("/api/v1/cameras", "/api/v1/cameras/leak-rtsp", "/api/v1/cameras/leak-http", "/api/v1/audit"):
        responses.append(httpx.get(gw + path, headers=admin).text)
    for proc in system.services.values():
        responses.append(httpx.get(proc.url + "/metrics").text)
    events = _camera_status_events(system.nats.url)
    assert any('"leak-rtsp"' in e and "offline" in e for e in events), events[-5:]

    logs = [line for proc in system.services.values() for line in proc.log_text().splitlines()]
    assert any('"event": "recording.stream_failed"' in line and "op:***@" in line for line in logs)
    for secret in LEAKS:
        assert [line for line in logs if secret in line] == []
        assert [text for text in responses + events if secret in text] == []
