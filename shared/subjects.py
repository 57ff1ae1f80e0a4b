"""The subject tree, JetStream streams and KV buckets — declared once, here.

    frames.<camera>                      core NATS, JPEG frame + headers (ingest → analytics, gateway)
    cameras.status.<camera>              camera status transitions            stream CAMERA_STATUS
    alerts.<camera>.<rule>               analytics alert lifecycle events     stream ALERTS
    alerts.indicator.<indicator>         indicator threshold alerts (reports) stream ALERTS
    reports.datavalues.imported          import summaries                     stream REPORTS
    reports.cases.<id>.<event>           case changes                         stream REPORTS
    reports.directives.<id>.<event>      directive changes                    stream REPORTS

KV buckets: ``camera_leases`` (ingest ownership), ``analytics_leases`` (analytics ownership),
``snapshots`` (latest JPEG of each camera).
"""

from __future__ import annotations

from dataclasses import dataclass

FRAMES_ALL = "frames.>"
CAMERA_STATUS_ALL = "cameras.status.>"
ALERTS_ALL = "alerts.>"
REPORTS_ALL = "reports.>"
DATAVALUES_IMPORTED = "reports.datavalues.imported"


def frames(camera: str) -> str:
    return f"frames.{camera}"


def camera_status(camera: str) -> str:
    return f"cameras.status.{camera}"


def alert(camera: str, rule: str) -> str:
    return f"alerts.{camera}.{rule}"


def indicator_alert(indicator: str) -> str:
    return f"alerts.indicator.{indicator}"


def case_event(case_id: str, event: str) -> str:
    return f"reports.cases.{case_id}.{event}"


def directive_event(directive_id: str, event: str) -> str:
    return f"reports.directives.{directive_id}.{event}"


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    max_age_s: float
    duplicate_window_s: float = 120.0


@dataclass(frozen=True)
class BucketSpec:
    name: str
    ttl_s: float | None
    history: int = 1


DAY = 86_400.0
STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("CAMERA_STATUS", (CAMERA_STATUS_ALL,), max_age_s=7 * DAY),
    StreamSpec("ALERTS", (ALERTS_ALL,), max_age_s=30 * DAY),
    StreamSpec("REPORTS", (REPORTS_ALL,), max_age_s=30 * DAY),
)
CAMERA_LEASES = BucketSpec("camera_leases", ttl_s=15.0)
ANALYTICS_LEASES = BucketSpec("analytics_leases", ttl_s=15.0)
SNAPSHOTS = BucketSpec("snapshots", ttl_s=None)
BUCKETS: tuple[BucketSpec, ...] = (CAMERA_LEASES, ANALYTICS_LEASES, SNAPSHOTS)

# Durable JetStream consumer of ALERTS that turns alerts into cases (reports). Named here because
# the production autoscaler (KEDA, deploy/k8s/components/keda-alert-consumer) reads its lag.
ALERT_CASES_CONSUMER = "reports-alert-cases"
