"""Outage incidents at scale: 200 cameras on one real RTSP server, decoded by a real ingest, grouped by a
real analytics on real NATS and PostgreSQL; the server is killed (every camera loses its stream at
once) and later restarted.

Measured from the cut: when the incident's ``started`` arrives, when the step listing every camera
arrives, how many incidents there are (goal: one within 15 s), and how many lifecycle steps; then from
the restart: when ``ended`` arrives. The baselines are ingest's own offline statuses (the first and the
last of them after the cut): what an operator saw before, one status per camera.

Both services run with their shipped defaults (ingest reports a camera offline once "no frames" has
held 10 s; analytics waits 3 s more before grouping it), except that the footage is the street clip at
1 fps (384x288, a keyframe every 2 s), cameras are sampled at 0.2 fps (ingest then decodes keyframes
only) and analytics runs one detector thread: 200 real decode sessions, their pure-Python RTSP server
and the detector share the machine's cores. If fewer than 200 cameras come online,
the figures are for those that did, and the notes say how many.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.aio.msg import Msg

from bench.figures import figure
from bench.infra import infra
from devstack.rtsp import LOOPBACK_CAMERAS_ENV, RtspServer
from shared.messages import AlertEvent, CameraStatusChanged
from tests.databases import create_database
from tests.support import NATS_ADMIN, ServiceProcess

# 200 by default; CITYOPS_BENCH_OUTAGE_CAMERAS runs fewer (or more).
CAMERAS = int(os.environ.get("CITYOPS_BENCH_OUTAGE_CAMERAS", "200"))
WARDS = 10  # cameras spread over wards, with no site or switch in common: they group by time alone
GOAL_S = 15.0
ONLINE_TIMEOUT_S = 240.0
ENDED_TIMEOUT_S = 180.0


async def _wait(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.5)
    return False


async def _measure(
    nats_url: str, ingest: ServiceProcess, analytics: ServiceProcess, server: RtspServer, media: Path, log_dir: Path
) -> dict[str, Any]:
    incidents: list[tuple[float, AlertEvent]] = []
    offline: dict[str, float] = {}  # camera → its first offline status after the cut

    async def on_incident(msg: Msg) -> None:
        incidents.append((time.monotonic(), AlertEvent.model_validate_json(msg.data)))

    async def on_status(msg: Msg) -> None:
        status = CameraStatusChanged.model_validate_json(msg.data)
        if status.status == "offline":
            offline.setdefault(status.camera, time.monotonic())

    nc = await nats.connect(nats_url, **NATS_ADMIN)
    client = httpx.AsyncClient(base_url=ingest.url, timeout=30, auth=ingest.auth)
    outages = httpx.AsyncClient(base_url=analytics.url, timeout=30, auth=analytics.auth)
    try:
        for i in range(CAMERAS):
            body = {
                "id": f"out-{i:03d}",
                "name": f"out-{i:03d}",
                "url": server.url("street.mp4"),
                "category": "traffic_route",
                "sampling_fps": 0.2,
                "output_width": 320,
                "location": {"lat": 19.76, "lon": 105.9, "ward": f"ward-{i % WARDS}"},
            }
            response = await client.post("/cameras", json=body)
            response.raise_for_status()
        online: set[str] = set()

        async def all_online() -> bool:
            response = await client.get("/cameras", params={"status": "online", "limit": 500})
            online.clear()
            online.update(c["id"] for c in response.json()["items"])
            return len(online) == CAMERAS

        async def steady() -> bool:
            # Every camera online and no incident open (cameras starting on a busy machine may flap).
            response = await outages.get("/incidents", params={"status": "open"})
            return await all_online() and not response.json()["items"]

        registered = time.monotonic()
        await _wait(all_online, ONLINE_TIMEOUT_S)
        await _wait(steady, 60)
        came_online = set(online)
        online_after_s = time.monotonic() - registered
        await nc.subscribe("alerts.outage.*", cb=on_incident)
        await nc.subscribe("cameras.status.*", cb=on_status)

        server.kill()
        cut = time.monotonic()

        def lists_all(e: AlertEvent) -> bool:
            # Every camera that was online is listed and down (cameras that never came online may be too).
            return came_online <= set(e.cameras) and (e.count or 0) >= len(came_online)

        async def all_listed() -> bool:
            return any(lists_all(e) for _, e in incidents)

        listed = await _wait(all_listed, 90)
        await asyncio.sleep(5)  # anything late (a second incident, more steps) still counts
        during = list(incidents)
        main = next((e.alert_id for _, e in during if lists_all(e)), None)
        cut_offline = [t - cut for camera, t in offline.items() if camera in came_online]
        restarted = RtspServer(media, server.port, log_path=log_dir / "rtsp-2.log").start()
        back = time.monotonic()

        def the_end(e: AlertEvent) -> bool:
            return e.phase == "ended" and e.alert_id == main

        async def ended() -> bool:
            return any(the_end(e) for _, e in incidents)

        try:
            ended_in_time = await _wait(ended, ENDED_TIMEOUT_S)
            await all_online()
        finally:
            restarted.stop()
        return {
            "came_online": len(came_online),
            "online_after_s": online_after_s,
            "listed": listed,
            "started_s": next((t - cut for t, e in during if e.phase == "started"), float("nan")),
            "all_listed_s": next((t - cut for t, e in during if lists_all(e)), float("nan")),
            "counts": [e.count for _, e in during],
            # Incidents open after the cut (one already open when it happened counts too).
            "incidents": len({e.alert_id for _, e in during if e.phase != "ended"}),
            "steps": len(during),
            "first_offline_s": min(cut_offline, default=float("nan")),
            "last_offline_s": max(cut_offline, default=float("nan")),
            "offline_statuses": len(cut_offline),
            "online_at_end": len(online),
            "last_count": incidents[-1][1].count if incidents else None,
            "ended_s": next((t - back for t, e in incidents if the_end(e)), float("nan"))
            if ended_in_time
            else float("nan"),
        }
    finally:
        await client.aclose()
        await outages.aclose()
        await nc.close()


def run() -> list[dict[str, Any]]:
    with infra() as env:
        media, logs = env.media, env.logs
        server = env.street_camera(keyframe_every=10)
        common = {"CITYOPS_NATS_URL": env.nats.url, "CITYOPS_LOG_LEVEL": "WARNING"}
        common["CITYOPS_DATABASE_URL"] = create_database(env.pg, "bench")
        analytics = ServiceProcess("analytics", {**common, "CITYOPS_ANALYTICS_WORKERS": "1"}, logs).start()
        ingest = ServiceProcess("ingest", {**common, **LOOPBACK_CAMERAS_ENV}, logs)
        try:
            analytics.wait_status("/readyz", 200, timeout=120)
            ingest.start().wait_status("/readyz", 200, timeout=120)
            m = asyncio.run(_measure(env.nats.url, ingest, analytics, server, media, logs))
        finally:
            ingest.stop()
            analytics.stop()
            server.stop()
    n = m["came_online"]
    scale = f"{n} of {CAMERAS} cameras online before the cut (after {m['online_after_s']:.0f} s)"
    offline = f"ingest reported {m['offline_statuses']} of them offline before the restart"
    return [
        figure(
            "outage_cut_to_incident_started",
            "s",
            m["started_s"],
            "cut → ingest's first offline status of those cameras",
            m["first_offline_s"],
            f"{scale}; goal: an incident within {GOAL_S:g} s; ingest's 10 s status debounce is most of it",
        ),
        figure(
            "outage_cut_to_incident_listing_all",
            "s",
            m["all_listed_s"],
            "cut → ingest's last offline status of those cameras",
            m["last_offline_s"],
            f"{scale}; {offline}; reached: {m['listed']}",
        ),
        figure(
            "outage_incidents_for_one_cut",
            "incidents",
            m["incidents"],
            "cameras cut (one alert each without grouping)",
            n,
            f"goal 1; {m['steps']} lifecycle steps before the restart, cameras down at each: {m['counts']}",
        ),
        figure(
            "outage_restart_to_incident_ended",
            "s",
            m["ended_s"],
            "goal for the cut",
            GOAL_S,
            "server back → ended (reconnect backoff up to 5 s, then the 10 s status debounce); NaN if not "
            f"within {ENDED_TIMEOUT_S:g} s; then {m['online_at_end']} cameras online, the incident's last step "
            f"counted {m['last_count']} down",
        ),
    ]
