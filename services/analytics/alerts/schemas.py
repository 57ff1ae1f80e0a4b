"""Request and response bodies of the alerts API, and the filter of its lists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.analytics.pipeline.rules import AlertType

AlertStatus = Literal["active", "ended"]


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts a list or a summary covers; an empty list does not filter."""

    cameras: list[str]
    statuses: list[AlertStatus]
    rule_types: list[AlertType]
    rule_ids: list[uuid.UUID]
    since: datetime | None = None
    until: datetime | None = None
    acknowledged: bool | None = None


class AlertOut(BaseModel):
    id: uuid.UUID
    camera: str
    rule_id: uuid.UUID
    rule_type: str
    rule_name: str
    object_class: str
    status: AlertStatus
    count: int
    peak_count: int
    started_at: datetime
    last_at: datetime
    ended_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    ack_note: str | None
    snapshot_url: str
    clip_url: str = Field(
        description="the gateway's MP4 of the alert's camera, from before it started to after it ended"
    )
    thumbnail_url: str = Field(description="the gateway's path of the alert snapshot")


class AlertSummaryOut(BaseModel):
    total: int
    unacknowledged: int
    by_status: dict[str, int] = Field(examples=[{"active": 3, "ended": 120}])
    by_type: dict[str, int] = Field(examples=[{"crowd": 2, "intrusion": 1}])
    by_camera: dict[str, int] = Field(examples=[{"beach-01": 2}])


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(None, min_length=1, max_length=64, description="who; the gateway's caller when set")
    note: str | None = Field(None, max_length=2000)
