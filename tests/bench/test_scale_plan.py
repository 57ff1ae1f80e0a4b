"""The 2,100-camera plan's fit: cores = fixed x replicas + per camera x cameras, per service."""

from __future__ import annotations

from typing import Any

import pytest

from bench.scale_plan import PLAN_CAMERAS, fit, plan


def _row(replicas: int, cameras: int, *, saturated: bool = False) -> dict[str, Any]:
    # ingest: 5 ms/s fixed per replica + 8 ms/s per camera; analytics: 20 ms/s + 60 ms/s.
    cores = {"ingest": 0.005 * replicas + 0.008 * cameras, "analytics": 0.02 * replicas + 0.06 * cameras}
    if saturated:  # a replica that dropped frames did less work than it was given
        cores["analytics"] /= 2
    return {
        "replicas": replicas,
        "cameras": cameras,
        "saturated": saturated,
        "cores_by_service": cores,
        "rss_mb_by_service": {"ingest": 200.0 * replicas + 2 * cameras, "analytics": 400.0 * replicas + cameras},
        "bus_bytes_per_s_per_camera": 15000.0,
        "pg_per_s": {"commits": 2.0 * replicas + 0.25 * cameras, "rows": 0.5 * cameras},
    }


def test_the_fit_recovers_the_fixed_and_per_camera_costs_leaving_out_saturated_windows() -> None:
    rows = [_row(n, c) for n in (1, 2, 3, 4) for c in (6, 12)] + [_row(1, 24, saturated=True)]
    got = fit(rows, "cores_by_service")
    assert got["ingest"] == pytest.approx((0.005, 0.008))
    assert got["analytics"] == pytest.approx((0.02, 0.06))


def test_the_plan_sizes_each_service_by_what_one_replica_process_holds() -> None:
    rows = [_row(n, c) for n in (1, 2, 3, 4) for c in (6, 12)]
    keyframes = _row(3, 12)
    out = plan(rows, keyframes, cameras=12, sampling_fps=1.0, keyframe_fps=0.5)
    five = out[0]
    # analytics at 5 fps: 0.3 cores a camera; a 1-core process at 70 % holds (0.7 - 0.02) / 0.3 = 2 cameras.
    assert five["analytics_replicas"] == PLAN_CAMERAS // 2
    # ingest: (0.7 - 0.005) / 0.04 = 17 cameras a replica.
    assert five["ingest_replicas"] == -(-PLAN_CAMERAS // 17)
    assert five["cores"] == pytest.approx(
        (1050 * 0.02 + PLAN_CAMERAS * 0.3 + five["ingest_replicas"] * 0.005 + PLAN_CAMERAS * 0.04) / 0.7, rel=1e-3
    )
    # leases commit per replica: 1050 pairs x 2/s, plus 0.25/s a camera x5.
    assert five["pg_commits_s"] == pytest.approx(1050 * 2 + PLAN_CAMERAS * 0.25 * 5, rel=1e-3)
    # keyframes only at 1 fps: the keyframe window's per-camera cost (same fit here) scaled x2.
    assert out[1]["cpu_ms_per_camera"] == pytest.approx(2 * (8 + 60), rel=1e-3)
