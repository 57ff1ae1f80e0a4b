"""The subject tree, JetStream streams, KV buckets and durable consumers — declared once, here.

``SUBJECTS`` lists every subject a service publishes or subscribes to, with its owner (the one
publisher) and its consumers; the README's subject table is generated from it
(``python -m shared.subjects``) and a test fails when the two differ. Services build subject names
only through the functions below.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

FRAMES_ALL = "frames.>"
CAMERA_STATUS_ALL = "cameras.status.>"
ALERTS_ALL = "alerts.>"
REPORTS_ALL = "reports.>"
DATAVALUES_IMPORTED = "reports.datavalues.imported"
DEAD_LETTERS_ALL = "deadletter.>"
# Core NATS notifications between replicas of one service (nothing is stored).
REGISTRY_CHANGED = "ingest.registry.changed"
CREDENTIALS_CHANGED = "gateway.credentials.changed"
LOGIN_ATTEMPTS = "gateway.login.attempts"
# Live video (fragmented MP4) and the gateway's demand for it; both core NATS, nothing stored.
LIVE_WANT_ALL = "live.want.*.*"
# ``main`` (full rate) and ``sub`` (wall tiles) are redacted: faces and plates pixelated, one encode per
# camera for every viewer without footage:raw. ``main-raw`` and ``sub-raw`` are the camera's own video, for
# a viewer holding footage:raw who gave a reason (the gateway decides which a viewer gets).
LIVE_QUALITIES = ("main", "sub", "main-raw", "sub-raw")
RAW_SUFFIX = "-raw"


def frames(camera: str) -> str:
    return f"frames.{camera}"


def live(camera: str, quality: str) -> str:
    return f"live.{camera}.{quality}"


def live_want(camera: str, quality: str) -> str:
    return f"live.want.{camera}.{quality}"


def camera_status(camera: str) -> str:
    return f"cameras.status.{camera}"


def alert(camera: str, rule: str) -> str:
    return f"alerts.{camera}.{rule}"


def indicator_alert(indicator: str) -> str:
    return f"alerts.indicator.{indicator}"


def outage(incident: str) -> str:
    return f"alerts.outage.{incident}"


def alert_ack(camera: str) -> str:
    return f"analytics.acks.{camera}"


def traffic_counts(camera: str) -> str:
    return f"analytics.traffic.{camera}"


ALERT_ACKS_ALL = "analytics.acks.*"
TRAFFIC_COUNTS_ALL = "analytics.traffic.*"


def dead_letter(consumer: str) -> str:
    return f"deadletter.{consumer}"


def case_event(case_id: str, event: str) -> str:
    return f"reports.cases.{case_id}.{event}"


def directive_event(directive_id: str, event: str) -> str:
    return f"reports.directives.{directive_id}.{event}"


def evidence_hold(camera: str) -> str:
    return f"reports.evidence.{camera}"


EVIDENCE_HOLDS_ALL = "reports.evidence.*"


def evidence_release(case_id: str) -> str:
    return f"reports.evidence-release.{case_id}"


EVIDENCE_RELEASES_ALL = "reports.evidence-release.*"


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
    # The services that read or write the bucket; the NATS authorization grants it to them only.
    users: tuple[str, ...] = ()


DAY = 86_400.0
STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("CAMERA_STATUS", (CAMERA_STATUS_ALL,), max_age_s=7 * DAY),
    StreamSpec("ALERTS", (ALERTS_ALL,), max_age_s=30 * DAY),
    StreamSpec("REPORTS", (REPORTS_ALL,), max_age_s=30 * DAY),
    StreamSpec("ANALYTICS", ("analytics.>",), max_age_s=30 * DAY),
    # Messages a durable consumer gave up on, kept for an operator to inspect and replay.
    StreamSpec("DEADLETTERS", (DEAD_LETTERS_ALL,), max_age_s=30 * DAY),
)
CAMERA_LEASES = BucketSpec("camera_leases", ttl_s=15.0, users=("ingest",))
ANALYTICS_LEASES = BucketSpec("analytics_leases", ttl_s=15.0, users=("analytics",))
# ingest writes the latest frame of each camera, the gateway serves it.
SNAPSHOTS = BucketSpec("snapshots", ttl_s=None, users=("ingest", "gateway"))
# The gateway replicas' shared rate-limit token buckets; 60 s: an untouched bucket is full by then.
RATE_BUCKETS = BucketSpec("ratelimit", ttl_s=60.0, users=("gateway",))
BUCKETS: tuple[BucketSpec, ...] = (CAMERA_LEASES, ANALYTICS_LEASES, SNAPSHOTS, RATE_BUCKETS)

# Durable JetStream consumer of ALERTS that turns alerts into cases (reports). Named here because
# the production autoscaler (KEDA, deploy/k8s/components/keda-alert-consumer) reads its lag.
ALERT_CASES_CONSUMER = "reports-alert-cases"
# Durable JetStream consumer of ALERTS that keeps footage around alerts (ingest, events recording mode).
RECORDING_ALERTS_CONSUMER = "ingest-recording-alerts"
# Durable JetStream consumer of REPORTS that keeps footage attached to cases (ingest's evidence table).
EVIDENCE_HOLDS_CONSUMER = "ingest-evidence-holds"
# Durable JetStream consumer of REPORTS that lets a final case's holds lapse after the keep period.
EVIDENCE_RELEASES_CONSUMER = "ingest-evidence-releases"
# Durable JetStream consumer of CAMERA_STATUS that groups cameras going offline into outage incidents.
OUTAGES_CONSUMER = "analytics-outages"
# Durable JetStream consumer of ANALYTICS traffic counts that stores them as department data (reports).
TRAFFIC_CONSUMER = "reports-traffic-volume"
# Durable JetStream consumers feeding notifications (reports): alerts and incidents, acknowledgements,
# case and directive events.
NOTIFY_ALERTS_CONSUMER = "reports-notify-alerts"
NOTIFY_ACKS_CONSUMER = "reports-notify-acks"
NOTIFY_EVENTS_CONSUMER = "reports-notify-events"
# Which service runs each durable consumer: it alone may publish that consumer's dead letters.
DURABLE_CONSUMERS: dict[str, str] = {
    ALERT_CASES_CONSUMER: "reports",
    RECORDING_ALERTS_CONSUMER: "ingest",
    EVIDENCE_HOLDS_CONSUMER: "ingest",
    EVIDENCE_RELEASES_CONSUMER: "ingest",
    OUTAGES_CONSUMER: "analytics",
    TRAFFIC_CONSUMER: "reports",
    NOTIFY_ALERTS_CONSUMER: "reports",
    NOTIFY_ACKS_CONSUMER: "reports",
    NOTIFY_EVENTS_CONSUMER: "reports",
}


@dataclass(frozen=True)
class SubjectSpec:
    pattern: str
    transport: str
    payload: str
    owner: str
    consumers: str


SUBJECTS: tuple[SubjectSpec, ...] = (
    SubjectSpec(
        "frames.<camera>",
        "core NATS",
        "JPEG; metadata in headers `Cityops-Camera`, `-Seq`, `-Pts`, `-Captured-At`, `-Width`, `-Height`",
        "ingest",
        "analytics, gateway (MJPEG)",
    ),
    SubjectSpec(
        "live.<camera>.<quality>",
        "core NATS",
        "fragmented MP4 (`init`: ftyp+moov before every keyframe; `fragment`: moof+mdat); headers "
        "`Cityops-Live-Kind`, `-Keyframe`, `-Codec` (RFC 6381); quality `main` or `sub`",
        "ingest",
        "gateway (live WebSocket)",
    ),
    SubjectSpec(
        "live.want.<camera>.<quality>",
        "core NATS",
        "empty; repeated while a gateway has a viewer (the owner replica relays until 15 s after the last)",
        "gateway",
        "ingest",
    ),
    SubjectSpec(
        "cameras.status.<camera>",
        "JetStream `CAMERA_STATUS`",
        "`CameraStatusChanged`",
        "ingest",
        f"gateway (live events), analytics (`{OUTAGES_CONSUMER}`: outage incidents)",
    ),
    SubjectSpec(
        "alerts.<camera>.<rule>",
        "JetStream `ALERTS` (dedup by `Nats-Msg-Id`)",
        "`AlertEvent`",
        "analytics",
        f"reports (`{ALERT_CASES_CONSUMER}`: cases; `{NOTIFY_ALERTS_CONSUMER}`: notifications), "
        f"ingest (`{RECORDING_ALERTS_CONSUMER}`: event recording), gateway",
    ),
    SubjectSpec(
        "alerts.outage.<incident>",
        "JetStream `ALERTS`",
        '`AlertEvent` (`source="outage"`, `cameras`)',
        "analytics",
        "reports (cases, notifications), gateway",
    ),
    SubjectSpec(
        "analytics.acks.<camera>",
        "JetStream `ANALYTICS`",
        "`AlertAcknowledged`",
        "analytics",
        f"reports (`{NOTIFY_ACKS_CONSUMER}`: escalation stops)",
    ),
    SubjectSpec(
        "analytics.traffic.<camera>",
        "JetStream `ANALYTICS`",
        "`TrafficCounts` (15-minute line crossings by class and direction)",
        "analytics",
        f"reports (`{TRAFFIC_CONSUMER}`: traffic-volume data values)",
    ),
    SubjectSpec(
        "alerts.indicator.<indicator>",
        "JetStream `ALERTS`",
        '`AlertEvent` (`source="indicator"`)',
        "reports",
        "reports, gateway",
    ),
    SubjectSpec(DATAVALUES_IMPORTED, "JetStream `REPORTS`", "`DataValuesImported`", "reports", "gateway"),
    SubjectSpec(
        "reports.cases.<id>.<event>",
        "JetStream `REPORTS`",
        "`CaseChanged`",
        "reports",
        f"gateway, reports (`{NOTIFY_EVENTS_CONSUMER}`: notifications)",
    ),
    SubjectSpec(
        "reports.directives.<id>.<event>",
        "JetStream `REPORTS`",
        "`DirectiveChanged`",
        "reports",
        f"gateway, reports (`{NOTIFY_EVENTS_CONSUMER}`: notifications)",
    ),
    SubjectSpec(
        "reports.evidence.<camera>",
        "JetStream `REPORTS`",
        "`EvidenceHoldRequested`",
        "reports",
        f"ingest (`{EVIDENCE_HOLDS_CONSUMER}`: footage attached to a case is kept)",
    ),
    SubjectSpec(
        "reports.evidence-release.<case>",
        "JetStream `REPORTS`",
        "`EvidenceHoldsReleased`",
        "reports",
        f"ingest (`{EVIDENCE_RELEASES_CONSUMER}`: a final case's holds lapse after the keep period)",
    ),
    SubjectSpec(
        "deadletter.<consumer>",
        "JetStream `DEADLETTERS`",
        "the original message; headers `Cityops-Dead-Subject`, `-Seq`, `-Deliveries`, `-Reason`",
        "any durable consumer (shared/bus)",
        "operator (`python -m shared.bus.deadletters`)",
    ),
    SubjectSpec(REGISTRY_CHANGED, "core NATS", "empty", "ingest", "ingest (every replica reconciles at once)"),
    SubjectSpec(CREDENTIALS_CHANGED, "core NATS", "empty", "gateway", "gateway (every replica drops its caller cache)"),
    SubjectSpec(
        LOGIN_ATTEMPTS,
        "core NATS",
        "JSON login attempt (account, client address, failed)",
        "gateway",
        "gateway (replicas share login throttle counts)",
    ),
)


def subject_table() -> str:
    """The README's subject table, in Markdown."""
    rows = ["| subject | transport | payload | owner → consumers |", "|---|---|---|---|"]
    rows += [f"| `{s.pattern}` | {s.transport} | {s.payload} | {s.owner} → {s.consumers} |" for s in SUBJECTS]
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    """``python -m shared.subjects``: the README table; ``… nats-config``: the nats-server authorization;
    ``… nats-helm-values``: the same for the NATS Helm chart (merged into production's nats-values.yaml)."""
    if argv == ["nats-config"]:
        from shared.bus.authorization import authorization_config

        sys.stdout.write(authorization_config())
        return 0
    if argv == ["nats-helm-values"]:
        import json

        from shared.bus.authorization import helm_values

        sys.stdout.write(json.dumps(helm_values(), indent=2) + "\n")
        return 0
    if argv:
        sys.stderr.write("usage: python -m shared.subjects [nats-config | nats-helm-values]\n")
        return 2
    sys.stdout.write(subject_table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
