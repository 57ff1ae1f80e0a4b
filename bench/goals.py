"""The goal of every benchmark figure that has one, in one place, as the issues set them.

A figure may also carry its own ``goal`` (``{"op": "<=", "value": 1.3, "of": "ratio"}``), which wins.
Patterns are ``fnmatch`` patterns over figure names; the first match applies.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Goal:
    op: Literal["<=", ">="]
    value: float
    # What the goal bounds: the figure's value or its ratio to the peer measured in the same run.
    of: Literal["value", "ratio"] = "value"

    def met(self, fig: dict[str, Any]) -> bool:
        x = float(fig[self.of])
        return x <= self.value if self.op == "<=" else x >= self.value

    def text(self, unit: str) -> str:
        what = "× peer" if self.of == "ratio" else f" {unit}"
        return f"{'≤' if self.op == '<=' else '≥'} {self.value:g}{what}"


GOALS: list[tuple[str, Goal]] = [
    # Issue 23: province scale.
    ("reports_aggregate_*_p95", Goal("<=", 500)),
    ("case_list_p95", Goal("<=", 200)),
    ("alert_to_case_p99", Goal("<=", 1000)),
    ("overview_p95_50_clients", Goal("<=", 300)),
    ("proxied_get_p50*", Goal("<=", 1.3, "ratio")),
    ("proxied_get_rps", Goal(">=", 0.8, "ratio")),
    ("scale_efficiency_at_4", Goal(">=", 0.9)),
    ("scale_efficiency_per_processed_frame_at_4", Goal(">=", 0.9)),
    # Its peer is the goal itself: the lease TTL + 5 s.
    ("scale_failover_worst_camera", Goal("<=", 1, "ratio")),
    # Reports and DHIS2 imports (issues of phase 1).
    ("reports_import_50k_http", Goal(">=", 0.4, "ratio")),
    ("dhis2_csv_import_100k_vs_copy", Goal(">=", 0.4, "ratio")),
    # Video: ingest, recording, evidence, live.
    ("worker_cpu_per_minute_*", Goal("<=", 1.15, "ratio")),
    ("recording_cpu_per_minute", Goal("<=", 1.2, "ratio")),
    ("evidence_package_3x60s", Goal("<=", 10)),
    ("glass_to_glass_single_view_*", Goal("<=", 1000)),
    ("frame_to_alert_latency_p99", Goal("<=", 500)),
    # Alerts and notifications.
    ("alert_to_webhook_p99", Goal("<=", 2000)),
    ("webhook_outage_lost", Goal("<=", 0)),
    ("two_replicas_one_killed_lost", Goal("<=", 0)),
    ("outage_cut_to_incident_started", Goal("<=", 15)),
    ("outage_incidents_for_one_cut", Goal("<=", 1)),
    # Privacy (issue 22): a missed face is a leak.
    ("face_recall_t0.02_x1", Goal(">=", 0.9)),
    ("face_recall_sampled_between_detections", Goal(">=", 0.9)),
    ("live_tile_head_coverage_every0.5s_x1.2", Goal(">=", 0.9)),
]


def goal_of(fig: dict[str, Any]) -> Goal | None:
    own = fig.get("goal")
    if isinstance(own, dict):
        return Goal(own["op"], float(own["value"]), own.get("of", "value"))
    for pattern, goal in GOALS:
        if fnmatch.fnmatchcase(str(fig["name"]), pattern):
            return goal
    return None
