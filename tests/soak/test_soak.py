"""`make soak` (not in CI): 4 cameras through the whole system, RTSP killed and restarted every minute.

Samples RSS and open file descriptors of every service process; the figures (slope per minute after
warm-up) go to bench/results/soak.json. Duration: CITYOPS_SOAK_MINUTES (default 10).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest

from devstack.rtsp import LOOPBACK_CAMERAS_ENV, RtspServer
from devstack.servers import NatsServer, free_port
from tests.support import ServiceProcess

pytestmark = [pytest.mark.soak, pytest.mark.timeout(0)]  # runs for minutes on purpose
CLIP = "vtest.mp4"
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "soak.json"


def _slope_per_minute(samples: list[tuple[float, float]]) -> float:
    xs = [t / 60 for t, _ in samples]
    ys = [v for _, v in samples]
    return statistics.linear_regression(xs, ys).slope if len(samples) > 2 else 0.0


def _statuses(ingest: ServiceProcess) -> dict[str, str]:
    cameras = httpx.get(ingest.url + "/cameras", params={"limit": 100}, timeout=10, auth=ingest.auth).json()["items"]
    return {c["id"]: c["status"]["status"] for c in cameras}


def test_four_cameras_with_rtsp_restarts_every_minute_keep_memory_and_fds_flat(
    tmp_path: Path,
    nats_server: NatsServer,
    module_database: str,
    footage_h264: Path,
    service_process: Callable[..., ServiceProcess],
) -> None:
    minutes = float(os.environ.get("CITYOPS_SOAK_MINUTES", "10"))
    media = tmp_path / "media"
    media.mkdir()
    shutil.copyfile(footage_h264, media / CLIP)
    servers = [RtspServer(media, free_port(), log_path=tmp_path / f"rtsp{i}.log").start() for i in range(2)]
    env = {"CITYOPS_NATS_URL": nats_server.url, "CITYOPS_DATABASE_URL": module_database,
           "CITYOPS_INGEST_STALL_S": "3", "CITYOPS_INGEST_BACKOFF_MAX_S": "2", **LOOPBACK_CAMERAS_ENV}  # fmt: skip
    services = {name: service_process(name, **env) for name in ("ingest", "analytics", "reports")}
    for proc in services.values():
        proc.wait_status("/readyz", 200, timeout=60)
    ingest = services["ingest"]
    for i in range(4):
        body = {"id": f"soak-{i}", "name": f"Soak {i}", "url": servers[i % 2].url(CLIP), "category": "beach"}
        assert httpx.post(ingest.url + "/cameras", json=body, auth=ingest.auth).status_code == 201
        rule = {"camera": f"soak-{i}", "name": "crowd", "type": "crowd", "object": "person",
                "zone": [[0, 0], [1, 0], [1, 1], [0, 1]], "min_count": 2, "min_duration_s": 2}  # fmt: skip
        analytics = services["analytics"]
        assert httpx.post(analytics.url + "/rules", json=rule, auth=analytics.auth).status_code == 201

    samples: dict[str, dict[str, list[tuple[float, float]]]] = {n: {"rss_mb": [], "fds": []} for n in services}
    start = time.monotonic()
    next_kill = start + 60
    stuck_checks: list[float] = []
    try:
        while time.monotonic() - start < minutes * 60:
            now = time.monotonic()
            for name, proc in services.items():
                assert proc.alive, f"{name} died:\n{proc.log_tail()}"
                p = psutil.Process(proc.proc.pid)  # type: ignore[union-attr]
                samples[name]["rss_mb"].append((now - start, p.memory_info().rss / 2**20))
                samples[name]["fds"].append((now - start, p.num_fds()))
            if now >= next_kill:
                ports = [s.port for s in servers]
                for s in servers:
                    s.kill()
                time.sleep(5)
                servers = [RtspServer(media, port, log_path=tmp_path / "rtsp-again.log").start() for port in ports]
                back = time.monotonic()
                while set(_statuses(ingest).values()) != {"online"}:
                    assert time.monotonic() - back < 30, f"cameras stuck: {_statuses(ingest)}"
                    time.sleep(0.5)
                stuck_checks.append(time.monotonic() - back)
                next_kill += 60
            time.sleep(10)
    finally:
        for s in servers:
            s.stop()
    warm = 120 if minutes > 4 else 30
    figures = {
        name: {
            metric: {
                "slope_per_min": round(_slope_per_minute([x for x in values if x[0] >= warm]), 4),
                "first": round(values[0][1], 1),
                "last": round(values[-1][1], 1),
            }
            for metric, values in series.items()
        }
        for name, series in samples.items()
    }
    report = {
        "minutes": minutes,
        "restarts": len(stuck_checks),
        "seconds_to_all_online_max": max(stuck_checks, default=None),
        "processes": figures,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))  # noqa: T201 — the soak report is read by a person
    assert max(stuck_checks) <= 10
    for name, series in figures.items():
        assert series["fds"]["slope_per_min"] < 1.0, (name, series)
        assert series["rss_mb"]["slope_per_min"] < 2.0, (name, series)
