"""Every message on the bus, as versioned pydantic models.

Frames are the exception to JSON bodies: the payload is the JPEG itself and the metadata travels in
NATS headers, described by ``FrameHeaders``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Message(BaseModel):
    """Base of every JSON message; ``schema_version`` lets consumers refuse what they cannot read."""

    model_config = ConfigDict(extra="ignore")
    schema_version: int = 1

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


class FrameHeaders(BaseModel):
    """Headers of a ``frames.<camera>`` message (NATS header values are strings)."""

    camera: str
    seq: int
    pts: float | None = Field(None, description="source presentation time in seconds")
    captured_at: datetime
    width: int
    height: int
    # The camera's category in the registry (e.g. traffic_route): analytics picks its detector by it.
    # Optional: frames of publishers that do not send it still parse.
    category: str | None = None
    schema_version: int = 1

    def to_headers(self) -> dict[str, str]:
        headers = {
            "Cityops-Schema": str(self.schema_version),
            "Cityops-Camera": self.camera,
            "Cityops-Seq": str(self.seq),
            "Cityops-Pts": "" if self.pts is None else f"{self.pts:.6f}",
            "Cityops-Captured-At": self.captured_at.isoformat(),
            "Cityops-Width": str(self.width),
            "Cityops-Height": str(self.height),
        }
        if self.category is not None:
            headers["Cityops-Category"] = self.category
        return headers

    @classmethod
    def from_headers(cls, headers: dict[str, str]) -> FrameHeaders:
        pts = headers.get("Cityops-Pts") or None
        return cls(
            schema_version=int(headers.get("Cityops-Schema", "1")),
            camera=headers["Cityops-Camera"],
            seq=int(headers["Cityops-Seq"]),
            pts=float(pts) if pts is not None else None,
            captured_at=datetime.fromisoformat(headers["Cityops-Captured-At"]),
            width=int(headers["Cityops-Width"]),
            height=int(headers["Cityops-Height"]),
            category=headers.get("Cityops-Category") or None,
        )


LiveKind = Literal["init", "fragment"]


class LiveHeaders(BaseModel):
    """Headers of a ``live.<camera>.<quality>`` message: what the fMP4 bytes are (header values are strings)."""

    kind: LiveKind
    keyframe: bool
    codec: str = Field(description='RFC 6381 codec string, e.g. "avc1.64001f"')

    def to_headers(self) -> dict[str, str]:
        return {
            "Cityops-Live-Kind": self.kind,
            "Cityops-Live-Keyframe": "1" if self.keyframe else "0",
            "Cityops-Live-Codec": self.codec,
        }

    @classmethod
    def from_headers(cls, headers: dict[str, str]) -> LiveHeaders:
        return cls.model_validate(
            {
                "kind": headers.get("Cityops-Live-Kind"),
                "keyframe": headers.get("Cityops-Live-Keyframe") == "1",
                "codec": headers.get("Cityops-Live-Codec"),
            }
        )


# frozen: frames arrive but the picture has not changed for a while (a stuck encoder or a still image).
CameraState = Literal["online", "connecting", "offline", "frozen", "disabled"]


class CameraStatusChanged(Message):
    """Published on ``cameras.status.<camera>`` at every status transition."""

    camera: str
    status: CameraState
    previous: CameraState | None = None
    reason: str | None = None
    at: datetime
    last_frame_at: datetime | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    codec: str | None = None
    reconnects: int = 0
    # Where the camera is, so that cameras failing together can be grouped into one outage incident.
    ward: str | None = None
    tags: list[str] = Field(default_factory=list)


AlertPhase = Literal["started", "updated", "ended"]
# camera: a rule or health check of one camera; indicator: a department indicator off target;
# outage: an incident grouping cameras that went offline together (``cameras`` lists them).
AlertSource = Literal["camera", "indicator", "outage"]
Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")
# What reports does with an alert: open a case (auto), offer one to open with one click (suggest), nothing.
CasePolicy = Literal["auto", "suggest", "never"]


class AlertEvent(Message):
    """Published on ``alerts.<camera>.<rule>`` (or ``alerts.indicator.<code>``) for each lifecycle step."""

    alert_id: str
    phase: AlertPhase
    source: AlertSource = "camera"
    camera: str | None = None
    # The department an indicator alert is about; camera alerts have none (cameras belong to no department).
    department: str | None = None
    rule_id: str | None = None
    rule_type: str
    rule_name: str | None = None
    object_class: str | None = None
    count: int | None = None
    peak_count: int | None = None
    started_at: datetime
    ended_at: datetime | None = None
    at: datetime
    frame_captured_at: datetime | None = None
    snapshot_key: str | None = None
    detail: str | None = None
    # Gateway paths (shared.links) a client follows: the footage around the alert, its snapshot. Optional:
    # indicator alerts have neither, and messages from before these fields existed still read.
    clip_url: str | None = None
    thumbnail_url: str | None = None
    severity: Severity = "medium"
    case_policy: CasePolicy = "auto"
    # Outage incidents: every camera down in the incident so far (the latest step has the full list).
    cameras: list[str] = Field(default_factory=list)


class AlertAcknowledged(Message):
    """Published on ``analytics.acks.<camera>`` when an operator acknowledges an alert (escalation stops)."""

    alert_id: str
    camera: str | None = None
    rule_id: str | None = None
    by: str
    note: str | None = None
    at: datetime


class TrafficCount(BaseModel):
    object_class: str
    direction: Literal["in", "out"]
    count: int = Field(ge=0)


class TrafficCounts(Message):
    """Published on ``analytics.traffic.<camera>`` for each closed 15-minute period of a line-crossing
    rule: crossings by class and direction. Reports stores them as traffic-volume data values."""

    camera: str
    rule_id: str
    rule_name: str
    road: str | None = None
    period_start: datetime
    period_end: datetime
    counts: list[TrafficCount]


class DataValuesImported(Message):
    """Published on ``reports.datavalues.imported`` after each committed import."""

    import_id: str
    department_codes: list[str]
    indicator_codes: list[str]
    periods: list[str]
    imported: int
    updated: int
    unchanged: int
    ignored: int
    deleted: int
    by: str | None = None
    at: datetime


class CaseChanged(Message):
    """Published on ``reports.cases.<id>.<event>`` for every case change."""

    case_id: str
    event: str
    status: str
    category: str
    department: str | None = None
    at: datetime
    by: str | None = None
    # The case's version after this change: 1 for "created", then one more per event, in commit order.
    # A reader (the gateway's feed, a webhook target) can tell a late or repeated event by it. None in
    # events from before versions existed.
    version: int | None = None


class EvidenceHoldRequested(Message):
    """Published on ``reports.evidence.<camera>`` when footage is attached to a case: ingest keeps
    [start, end] of the camera until the hold is released (``hold_id`` makes a redelivery a no-op)."""

    hold_id: str
    camera: str
    start: datetime
    end: datetime
    reason: str
    case_ref: str | None = None
    by: str
    at: datetime


class EvidenceHoldsReleased(Message):
    """Published on ``reports.evidence-release.<case>`` when a case with attached footage becomes final
    (closed or rejected: ``closed_at`` is when) or is reopened (``closed_at`` is None: keep its holds
    again). Ingest lets the case's holds lapse once its keep period after ``closed_at`` has passed; the
    newest ``at`` wins, so a late or redelivered message never undoes a later one."""

    case_ref: str
    closed_at: datetime | None
    by: str
    at: datetime


class DirectiveChanged(Message):
    """Published on ``reports.directives.<id>.<event>``."""

    directive_id: str
    event: str
    status: str
    departments: list[str]
    at: datetime
    by: str | None = None
