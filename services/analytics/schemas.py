"""API models of the analytics service (request bodies and responses)."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.analytics.domain.rules import RuleType

ObjectClass = Literal["person", "car", "motorbike", "bus", "truck", "bicycle", "moving_object"]
OBJECT_CLASSES: tuple[str, ...] = ("person", "car", "motorbike", "bus", "truck", "bicycle", "moving_object")


class RuleIn(BaseModel):
    """A rule on one camera. Zones and lines are in normalised coordinates: x, y in [0, 1] from top left."""

    model_config = ConfigDict(extra="forbid")

    camera: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    type: RuleType
    object: ObjectClass = "person"
    zone: list[list[float]] | None = Field(None, description="polygon [[x, y], ...], at least 3 points")
    line: list[list[float]] | None = Field(None, description="line_crossing only: [[x1, y1], [x2, y2]]")
    min_count: int = Field(1, ge=1, le=10_000)
    min_duration_s: float = Field(0.0, ge=0, le=86_400)
    cooldown_s: float = Field(10.0, ge=0, le=3_600)
    active_from: time | None = Field(None, description="local time the rule starts applying each day")
    active_to: time | None = None
    max_movement: float = Field(0.02, gt=0, le=1, description="stationary: how far (normalised) counts as still")
    min_object_area: float = Field(
        0.0, ge=0, le=1, description="ignore objects whose box is a smaller share of the frame"
    )
    max_object_area: float = Field(
        1.0, gt=0, le=1, description="ignore objects whose box is a larger share of the frame"
    )
    enabled: bool = True


class RuleOut(RuleIn):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class AlertOut(BaseModel):
    id: uuid.UUID
    camera: str
    rule_id: uuid.UUID
    rule_type: str
    rule_name: str
    object_class: str
    status: Literal["active", "ended"]
    count: int
    peak_count: int
    started_at: datetime
    last_at: datetime
    ended_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    ack_note: str | None
    snapshot_url: str


class AlertSummary(BaseModel):
    total: int
    unacknowledged: int
    by_status: dict[str, int] = Field(examples=[{"active": 3, "ended": 120}])
    by_type: dict[str, int] = Field(examples=[{"crowd": 2, "intrusion": 1}])
    by_camera: dict[str, int] = Field(examples=[{"beach-01": 2}])


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(None, min_length=1, max_length=64, description="who; the gateway's caller when set")
    note: str | None = Field(None, max_length=2000)


class CountPoint(BaseModel):
    """One period of one rule: occupancy of its zone (average and maximum), crossings of its line."""

    bucket: Literal["minute", "hour", "day"]
    start: datetime
    rule_id: uuid.UUID
    object_class: str
    samples: int
    occupancy_avg: float
    occupancy_max: int
    crossings_in: int
    crossings_out: int


class MotionMasks(BaseModel):
    """Polygons (normalised coordinates) where motion is ignored, e.g. trees moving in the wind."""

    model_config = ConfigDict(extra="forbid")

    masks: list[list[list[float]]] = Field(max_length=32)


class DetectionOut(BaseModel):
    label: str
    score: float
    box: tuple[float, float, float, float] = Field(description="normalised x1, y1, x2, y2")


class CameraStats(BaseModel):
    camera: str
    owner: bool
    frames_in: int
    frames_processed: int
    frames_dropped: int
    detections_run: int
    last_seq: int | None
    last_captured_at: datetime | None
    motion_ratio: float
    active_tracks: int
    queue_depth: int
    detections_seq: int | None = Field(None, description="frame of the last detector run")
    detections: list[DetectionOut] = Field(default_factory=list)
