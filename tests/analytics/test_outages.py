"""Outage grouping on the real system: ingest decoding many cameras from one real RTSP server and
analytics on real NATS and PostgreSQL. The server is killed: every camera drops at once and they make
ONE incident (started, updated while more drop, ended once the server is back); cameras under a
maintenance window are in none."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nats
from nats.aio.msg import Msg

from devstack.footage import vtest_h264_sparse
from devstack.rtsp import LOOPBACK_CAMERAS_ENV, RtspServer
from devstack.servers import NatsServer, free_port
from shared.messages import AlertEvent
from tests.ingest.helpers import wait_for
from tests.support import NATS_ADMIN, ServiceProcess

SITE = [f"hq-{i:02d}" for i in range(10)]  # tagged site:hq, in ward W1
WARD = [f"w2-{i:02d}" for i in range(8)]  # no site tag, ward W2: joins through the time window
HELD = ["depot-0", "depot-1"]  # tagged site:depot, under maintenance
FAST_INGEST = {
    "CITYOPS_INGEST_STATUS_DEBOUNCE_S": "1",
    "CITYOPS_INGEST_BACKOFF_MIN_S": "0.3",
    "CITYOPS_INGEST_BACKOFF_MAX_S": "1",
    "CITYOPS_INGEST_RECONCILE_INTERVAL_S": "1",
}


async def _online(client: httpx.AsyncClient) -> int:
    response = await client.get("/cameras", params={"status": "online", "limit": 100})
    response.raise_for_status()
    return len(response.json()["items"])


async def test_cameras_killed_at_once_make_one_incident_that_ends_when_they_return(
    nats_server: NatsServer, fresh_database: str, service_process: Callable[..., ServiceProcess], tmp_path: Path
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    shutil.copyfile(vtest_h264_sparse(), media / "street.mp4")
    port = free_port()
    server = RtspServer(media, port, log_path=tmp_path / "rtsp.log").start()
    common = {"CITYOPS_NATS_URL": nats_server.url, "CITYOPS_DATABASE_URL": fresh_database}
    analytics = service_process(
        "analytics",
        **common,
        CITYOPS_ANALYTICS_OUTAGE_DEBOUNCE_S="1",
        CITYOPS_ANALYTICS_OUTAGE_TICK_S="0.3",
        CITYOPS_ANALYTICS_TAMPER_CHECK="false",
    )
    analytics.wait_status("/readyz", 200, timeout=60)  # subscribed: statuses from now on are seen
    ingest = service_process("ingest", **common, **LOOPBACK_CAMERAS_ENV, **FAST_INGEST)
    ingest.wait_status("/readyz", 200, timeout=60)
    events: list[AlertEvent] = []

    async def on_incident(msg: Msg) -> None:
        events.append(AlertEvent.model_validate_json(msg.data))

    nc = await nats.connect(nats_server.url, **NATS_ADMIN)
    cameras = httpx.AsyncClient(base_url=ingest.url, timeout=10, auth=ingest.auth)
    outages = httpx.AsyncClient(base_url=analytics.url, timeout=10, auth=analytics.auth)
    try:
        await nc.subscribe("alerts.outage.*", cb=on_incident)
        for camera in SITE + WARD + HELD:
            body = {
                "id": camera,
                "name": camera,
                "url": server.url("street.mp4"),
                "category": "public_place",
                "sampling_fps": 1,
                "output_width": 320,
                "location": {"lat": 19.76, "lon": 105.9, "ward": "W2" if camera in WARD else "W1"},
                "tags": ["site:hq"] if camera in SITE else ["site:depot"] if camera in HELD else [],
            }
            assert (await cameras.post("/cameras", json=body)).status_code == 201
        total = len(SITE + WARD + HELD)

        async def all_online() -> bool:
            return await _online(cameras) == total

        await wait_for(all_online, 90, "every camera online")
        window = await outages.post(
            "/maintenance-windows",
            json={"tag": "site:depot", "ends_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(), "reason": "x"},
        )
        assert window.status_code == 201, window.text
        assert window.json()["active"] is True

        server.kill()
        cut = time.monotonic()
        down = set(SITE + WARD)

        def all_listed() -> AlertEvent | None:
            return next((e for e in events if set(e.cameras) == down and e.count == len(down)), None)

        full = await wait_for(all_listed, 30, "one incident listing every camera cut")
        time.monotonic() - cut
        assert {e.alert_id for e in events} == {full.alert_id}, "more than one incident"
        assert events[0].phase == "started"
        assert events[0].source == "outage"
        assert events[0].rule_type == "camera_outage"
        assert not any(set(HELD) & set(e.cameras) for e in events), "a camera under maintenance was included"
        # Cameras drop over a second or two: a handful of steps, not one per camera.
        assert len(events) <= 8, [(e.phase, e.count) for e in events]
        assert "cameras offline" in (full.detail or "")

        page = (await outages.get("/incidents", params={"status": "open"})).json()
        assert [i["id"] for i in page["items"]] == [full.alert_id]
        one = (await outages.get(f"/incidents/{full.alert_id}")).json()
        assert one["down"] == len(down)
        assert {c["camera"] for c in one["cameras"]} == down
        assert one["group_key"] in ("site:hq", "ward:W2")

        server = RtspServer(media, port, log_path=tmp_path / "rtsp-2.log").start()
        ended = await wait_for(lambda: next((e for e in events if e.phase == "ended"), None), 60, "incident ended")
        assert ended.alert_id == full.alert_id
        assert ended.count == 0
        assert set(ended.cameras) == down
        assert (await outages.get(f"/incidents/{full.alert_id}")).json()["status"] == "ended"

        # The window API: bad input names the field; a deleted window is gone.
        soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        two = await outages.post(
            "/maintenance-windows", json={"ward": "W1", "tag": "x", "ends_at": soon, "reason": "r"}
        )
        past = await outages.post(
            "/maintenance-windows", json={"ward": "W1", "ends_at": "2020-01-01T00:00:00Z", "reason": "r"}
        )
        assert (two.status_code, past.status_code) == (422, 422)
        assert "cameras" in two.text
        assert "ends_at" in past.text
        current = (await outages.get("/maintenance-windows", params={"current": "true"})).json()
        assert [w["tag"] for w in current] == ["site:depot"]
        assert (await outages.delete(f"/maintenance-windows/{current[0]['id']}")).status_code == 204
        assert (await outages.get(f"/maintenance-windows/{current[0]['id']}")).status_code == 404
    finally:
        server.stop()
        await nc.close()
        await cameras.aclose()
        await outages.aclose()
