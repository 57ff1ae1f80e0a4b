"""The 2,100-camera plan of ``make bench-scale``: a fixed cost per replica plus a cost per camera, fitted
per service over the measured windows, turned into replicas, cores, memory, bus and database load."""

from __future__ import annotations

import math
from typing import Any

PLAN_CAMERAS = 2100
# A replica is one Python process whose frame loop holds the GIL: sized at one core.
PROCESS_CORES = 1.0
HEADROOM = 0.7  # plan cores at 70 % use


def fit(rows: list[dict[str, Any]], key: str) -> dict[str, tuple[float, float]]:
    """Per service, least squares of ``key`` (a total over its replicas) = fixed x replicas + per camera x
    cameras, over the windows where analytics kept up (a saturated window did less work than it was given)."""
    kept = [r for r in rows if not r.get("saturated")] or rows
    out = {}
    for service in kept[0][key]:
        n = [float(r["replicas"]) for r in kept]
        c = [float(r["cameras"]) for r in kept]
        y = [float(r[key][service]) for r in kept]
        snn, snc, scc = sum(x * x for x in n), sum(a * b for a, b in zip(n, c, strict=True)), sum(x * x for x in c)
        sny, scy = sum(a * b for a, b in zip(n, y, strict=True)), sum(a * b for a, b in zip(c, y, strict=True))
        det = snn * scc - snc * snc
        out[service] = ((sny * scc - scy * snc) / det, (snn * scy - snc * sny) / det)
    return out


def plan(
    rows: list[dict[str, Any]], keyframes: dict[str, Any], *, cameras: int, sampling_fps: float, keyframe_fps: float
) -> list[dict[str, Any]]:
    """Replicas, cores, memory, bus and database load for 2,100 cameras: a fixed cost per replica plus a
    cost per camera, fitted per service over the measured windows, each replica process sized at
    ``PROCESS_CORES`` used to ``HEADROOM``."""
    cores_fit, rss_fit = fit(rows, "cores_by_service"), fit(rows, "rss_mb_by_service")
    pg_fit = fit(rows, "pg_per_s")
    full = [r for r in rows if r["cameras"] == cameras]
    # The keyframes-only window: its per-camera cost is what is left after the fitted fixed costs.
    kf_per_camera = {
        s: max(0.0, keyframes["cores_by_service"][s] - fixed * keyframes["replicas"]) / keyframes["cameras"]
        for s, (fixed, _) in cores_fit.items()
    }
    scenarios = (
        ("5 fps sampled", 5.0, {s: per for s, (_, per) in cores_fit.items()}, 5.0 / sampling_fps, full[-1]),
        ("keyframes only, 1 fps", 1.0, kf_per_camera, 1.0 / keyframe_fps, keyframes),
    )
    out = []
    for name, fps, per_camera, factor, base in scenarios:
        measured_fps = keyframe_fps if base is keyframes else sampling_fps
        replicas, cores, memory_mb = {}, 0.0, 0.0
        for service, (fixed, _) in cores_fit.items():
            cost = per_camera[service] * factor
            per_replica = max(1, math.floor((PROCESS_CORES * HEADROOM - max(fixed, 0.0)) / max(cost, 1e-9)))
            replicas[service] = math.ceil(PLAN_CAMERAS / per_replica)
            cores += (replicas[service] * max(fixed, 0.0) + PLAN_CAMERAS * cost) / HEADROOM
            rss_fixed, rss_camera = rss_fit[service]
            memory_mb += replicas[service] * max(rss_fixed, 0.0) + PLAN_CAMERAS * max(rss_camera, 0.0)
        out.append(
            {
                "scenario": name,
                "cameras": PLAN_CAMERAS,
                "published_fps_per_camera": fps,
                "cpu_ms_per_camera": round(1000 * sum(per_camera.values()) * factor, 2),
                **{f"{s}_replicas": n for s, n in replicas.items()},
                "cores": round(cores, 1),
                "memory_gb": round(memory_mb / 1024, 1),
                "bus_mbit_s": round(PLAN_CAMERAS * base["bus_bytes_per_s_per_camera"] * factor * 8 / 1e6, 1),
                # A replica pair's fixed part (leases, heartbeats) at the larger replica count, plus each
                # camera's part per published frame.
                **{
                    f"pg_{kind}_s": round(
                        max(replicas.values()) * max(fixed, 0.0) + PLAN_CAMERAS * max(per, 0.0) * factor, 1
                    )
                    for kind, (fixed, per) in pg_fit.items()
                },
                "derived": (
                    "per service, cores = fixed x replicas + per camera x cameras fitted over the windows where "
                    "analytics kept up ("
                    + ", ".join(
                        f"{s}: {1000 * f:.1f} ms/s fixed, {1000 * p:.2f} ms/s per camera"
                        for s, (f, p) in cores_fit.items()
                    )
                    + f"); the per-camera cost measured at {measured_fps:g} fps "
                    f"published, scaled x{factor:g} per published frame; each replica one process of "
                    f"{PROCESS_CORES:g} core used to {HEADROOM:.0%}; memory from the same fit of RSS"
                ),
            }
        )
    return out
