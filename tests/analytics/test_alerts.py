"""Rules, alert lifecycle, counts, determinism and restarts, through real NATS, PostgreSQL and the service."""

from __future__ import annotations

import asyncio

import cv2
import httpx
import nats
import numpy as np

from devstack.servers import NatsServer
from shared.identity import Caller
from tests.analytics.helpers import BASE_TIME, FULL_FRAME, alert_events, create_rule, publish_frames, wait_processed
from tests.support import NATS_ADMIN, signed

CROWD = {"type": "crowd", "object": "person", "zone": FULL_FRAME, "min_count": 3, "min_duration_s": 2, "cooldown_s": 5}
# A line across the road left of the lamp post: in the first 20 s two walkers cross it rightwards
# ("in": from the left of the top→bottom line) and two leftwards.
LINE = {"type": "line_crossing", "object": "person", "line": [[0.45, 0.15], [0.45, 0.75]]}
FAST_FLUSH = {"CITYOPS_ANALYTICS_COUNTS_FLUSH_S": "1", "CITYOPS_ANALYTICS_IDLE_CLOSE_S": "4"}


async def _feed(nats_url: str, cameras: list[str], frames: list[bytes], empty: bytes) -> None:
    """20 s of people walking, then 8 s of the empty street, to each camera."""
    nc = await nats.connect(nats_url, **NATS_ADMIN)
    try:
        await asyncio.gather(*(publish_frames(nc, c, frames[:200] + [empty] * 80) for c in cameras))
    finally:
        await nc.close()


async def test_crowd_alert_lifecycle_counts_and_deterministic_replay(
    nats_server: NatsServer, start_analytics, clip_jpegs, empty_scene_jpeg
):
    proc = start_analytics(**FAST_FLUSH)
    rules = {}
    for camera in ("crowd-a", "crowd-b"):
        rules[camera] = await create_rule(proc.url, {"camera": camera, "name": "Đông người", **CROWD})
        rules[camera + "-line"] = await create_rule(proc.url, {"camera": camera, "name": "Vạch", **LINE})
    await _feed(nats_server.url, ["crowd-a", "crowd-b"], clip_jpegs, empty_scene_jpeg)
    for camera in ("crowd-a", "crowd-b"):
        stats = await wait_processed(proc.url, camera, 279)
        assert stats["frames_dropped"] == 0

    events = {c: await alert_events(nats_server.url, c) for c in ("crowd-a", "crowd-b")}
    a = events["crowd-a"]
    phases = [e.phase for _, e in a]
    # One alert for the whole episode, not one per frame; it ended after the street emptied.
    assert phases.count("started") == 1, phases
    assert phases[-1] == "ended", phases
    assert phases.count("ended") == 1
    assert len({e.alert_id for _, e in a}) == 1
    assert len({msg_id for msg_id, _ in a}) == len(a)  # every message carries its own dedup id
    started = next(e for _, e in a if e.phase == "started")
    ended = a[-1][1]
    assert started.rule_type == "crowd"
    assert started.count is not None
    assert started.count >= 3
    assert ended.ended_at is not None
    assert ended.peak_count is not None
    assert ended.peak_count >= started.count
    # Three or more people are in view from the first seconds (the count must hold 2 s); the street
    # is empty from 20 s, so the alert ends one cool-down (5 s) after the last crowded frame.
    assert 2.0 <= (started.started_at - BASE_TIME).total_seconds() <= 10.0
    assert 25.0 <= (ended.ended_at - BASE_TIME).total_seconds() <= 27.0

    # Replaying the same frames (to the second camera) gives the same alerts.
    def shape(evts):
        return [(e.phase, e.started_at, e.ended_at, e.count, e.peak_count) for _, e in evts]

    assert shape(events["crowd-a"]) == shape(events["crowd-b"])

    async with httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth) as client:
        page = (await client.get("/alerts", params={"camera": "crowd-a"})).json()
        assert len(page["items"]) == 1
        assert page["next_cursor"] is None
        alert = page["items"][0]
        assert alert["status"] == "ended"
        assert alert["id"] == started.alert_id
        assert (await client.get("/alerts", params={"camera": "crowd-a", "status": "active"})).json()["items"] == []
        crowd = (await client.get("/alerts", params={"rule_type": "crowd", "sort": "camera"})).json()["items"]
        assert [a["camera"] for a in crowd] == ["crowd-a", "crowd-b"]
        # One per page: the cursor walks both alerts, newest first, each once.
        first = (await client.get("/alerts", params={"limit": 1})).json()
        second = (await client.get("/alerts", params={"limit": 1, "cursor": first["next_cursor"]})).json()
        assert first["items"][0]["started_at"] >= second["items"][0]["started_at"]
        assert {first["items"][0]["id"], second["items"][0]["id"]} == {a["id"] for a in crowd}
        assert second["next_cursor"] is None
        both = (await client.get("/alerts", params=[("camera", "crowd-a"), ("camera", "crowd-b")])).json()
        assert len(both["items"]) == 2
        summary = (await client.get("/alerts/summary", params={"rule_type": "crowd"})).json()
        assert summary["total"] == 2
        assert summary["by_status"] == {"ended": 2}
        assert summary["by_camera"] == {"crowd-a": 1, "crowd-b": 1}
        assert summary["unacknowledged"] == 2
        assert (await client.get("/alerts", params={"status": "bogus"})).status_code == 422
        assert (await client.get("/alerts", params={"sort": "ack_note"})).status_code == 422

        snap = await client.get(alert["snapshot_url"])
        assert snap.status_code == 200
        assert snap.headers["content-type"] == "image/jpeg"
        image = cv2.imdecode(np.frombuffer(snap.content, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (576, 768, 3)
        # The zone outline and the boxes are drawn in pure red.
        red = (image[:, :, 2] > 200) & (image[:, :, 1] < 60) & (image[:, :, 0] < 60)
        assert red.sum() > 2000

        # The acknowledging person is the caller the gateway vouches for, not the body's `by`.
        operator1 = signed(Caller(name="operator1", roles=frozenset({"operator"})), "analytics")
        body = {"by": "someone-else", "note": "đã cử người"}
        ack = await client.post(f"/alerts/{alert['id']}/ack", json=body, headers=operator1)
        assert ack.status_code == 200
        assert ack.json()["acknowledged_by"] == "operator1"
        operator2 = signed(Caller(name="operator2", roles=frozenset({"operator"})), "analytics")
        again = await client.post(f"/alerts/{alert['id']}/ack", json={"by": "operator2"}, headers=operator2)
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert len((await client.get("/alerts", params={"acknowledged": True})).json()["items"]) == 1
        assert (await client.get("/alerts/summary")).json()["unacknowledged"] == 1

        # Minute time series: occupancy of the crowd zone, crossings of the line.
        series = {}
        for camera in ("crowd-a", "crowd-b"):
            for _ in range(50):
                series[camera] = (await client.get("/counts", params={"camera": camera})).json()
                if sum(p["samples"] for p in series[camera]) >= 2 * 280:  # both rules, every frame
                    break
                await asyncio.sleep(0.2)
        crowd_points = [p for p in series["crowd-a"] if p["rule_id"] == rules["crowd-a"]["id"]]
        assert [p["start"] for p in crowd_points] == ["2026-07-01T09:00:00Z", "2026-07-01T09:01:00Z"]
        assert [p["samples"] for p in crowd_points] == [150, 130]  # 15 s and 13 s at 10 fps
        assert sum(p["samples"] for p in crowd_points) == 280
        assert max(p["occupancy_max"] for p in crowd_points) >= 4
        line_points = [p for p in series["crowd-a"] if p["rule_id"] == rules["crowd-a-line"]["id"]]
        assert sum(p["samples"] for p in line_points) == 280
        crossings = sum(p["crossings_in"] + p["crossings_out"] for p in line_points)
        assert sum(p["crossings_in"] for p in line_points) >= 1, line_points
        assert sum(p["crossings_out"] for p in line_points) >= 1, line_points

        def by_kind(camera):
            kinds = {rules[camera]["id"]: "crowd", rules[camera + "-line"]["id"]: "line"}
            return sorted((kinds[p.pop("rule_id")], sorted(p.items())) for p in series[camera])

        assert by_kind("crowd-a") == by_kind("crowd-b")

        # Rolled up by hour ("people on the beach today by hour"): the same totals in one period.
        hourly = (await client.get("/counts", params={"camera": "crowd-a", "bucket": "hour"})).json()
        assert len(hourly) == 2
        assert {p["start"] for p in hourly} == {"2026-07-01T09:00:00Z"}
        line_hour = next(p for p in hourly if p["rule_id"] == rules["crowd-a-line"]["id"])
        assert line_hour["crossings_in"] + line_hour["crossings_out"] == crossings
        crowd_hour = next(p for p in hourly if p["rule_id"] == rules["crowd-a"]["id"])
        assert crowd_hour["samples"] == 280
        assert crowd_hour["occupancy_max"] == max(p["occupancy_max"] for p in crowd_points)
        metrics = (await client.get("/metrics")).text
        assert 'cityops_analytics_frames_processed_total{camera="crowd-a"} 280.0' in metrics
        assert 'cityops_analytics_alerts_total{phase="started",rule_type="crowd"} 2.0' in metrics
        assert "cityops_analytics_detect_seconds_count" in metrics
    assert "alert.started" in proc.log_text()


async def test_a_restarted_replica_does_not_reemit_alerts(
    nats_server: NatsServer, start_analytics, clip_jpegs, empty_scene_jpeg
):
    first = start_analytics()
    await create_rule(first.url, {"camera": "restart-cam", "name": "crowd", **CROWD})
    nc = await nats.connect(nats_server.url, **NATS_ADMIN)
    try:
        # The alert starts on the first replica...
        await publish_frames(nc, "restart-cam", clip_jpegs[:100])
        await wait_processed(first.url, "restart-cam", 99)
        before = await alert_events(nats_server.url, "restart-cam")
        assert before
        assert before[0][1].phase == "started"
        first.stop()

        # ...the replacement sees the same frames again (a replay), then the rest of the episode.
        second = start_analytics()
        await publish_frames(nc, "restart-cam", clip_jpegs[:200] + [empty_scene_jpeg] * 80)
        await wait_processed(second.url, "restart-cam", 279)
    finally:
        await nc.close()
    after = await alert_events(nats_server.url, "restart-cam")
    phases = [e.phase for _, e in after]
    assert phases.count("started") == 1, phases
    assert phases.count("ended") == 1, phases
    assert len({e.alert_id for _, e in after}) == 1
    # What the first replica sent is not sent again.
    assert after[: len(before)] == before
    assert len({msg_id for msg_id, _ in after}) == len(after)
    async with httpx.AsyncClient(base_url=second.url, timeout=10, auth=second.auth) as client:
        page = (await client.get("/alerts", params={"camera": "restart-cam"})).json()
    assert len(page["items"]) == 1
    assert page["items"][0]["status"] == "ended"
    assert "alert.resumed" in second.log_text()


async def test_moving_object_flow_counts_without_a_vehicle_model(nats_server: NatsServer, start_analytics, clip_jpegs):
    """The motion-blob detector counts whatever moves across a line, labelled moving_object."""
    proc = start_analytics(CITYOPS_ANALYTICS_DETECTOR="motion_blob", **FAST_FLUSH)
    rule = await create_rule(
        proc.url,
        {"camera": "flow-cam", "name": "Lưu lượng", **LINE, "object": "moving_object", "min_object_area": 0.002},
    )
    nc = await nats.connect(nats_server.url, **NATS_ADMIN)
    try:
        await publish_frames(nc, "flow-cam", clip_jpegs[:200])
        stats = await wait_processed(proc.url, "flow-cam", 199)
    finally:
        await nc.close()
    assert stats["detections_run"] == 200  # blobs need every frame to keep their background model
    assert {d["label"] for d in stats["detections"]} <= {"moving_object"}
    async with httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth) as client:
        for _ in range(50):
            points = (await client.get("/counts", params={"camera": "flow-cam", "bucket": "hour"})).json()
            if points and points[0]["samples"] == 200:
                break
            await asyncio.sleep(0.2)
    (hour,) = points
    assert hour["rule_id"] == rule["id"]
    assert hour["object_class"] == "moving_object"
    # People walk both ways across the road in these 20 s.
    assert hour["crossings_in"] >= 1
    assert hour["crossings_out"] >= 1
