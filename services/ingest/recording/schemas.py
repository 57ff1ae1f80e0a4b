"""Bodies of the recording API (pydantic v2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RecordingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["off", "continuous", "events"]
    retention_days: int = Field(7, ge=1, le=3650)
    pre_s: float = Field(10.0, ge=0, le=600, description="events mode: kept before an alert")
    post_s: float = Field(20.0, ge=0, le=3600, description="events mode: kept after an alert ends")


class RecordingOut(RecordingIn):
    camera_id: str


class SegmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    start_at: datetime
    end_at: datetime
    bytes: int
    codec: str | None


class RangeOut(BaseModel):
    start_at: datetime
    end_at: datetime


class ClipOut(BaseModel):
    """Where a clip of ``clip.mp4`` with the same range sits in time: a player shows the frame of
    ``start_at + t`` at media time ``t``."""

    camera_id: str
    start_at: datetime = Field(description="wall-clock time of the clip's first frame (its media time 0)")
    end_at: datetime


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_at: datetime
    end_at: datetime
    reason: str = Field(min_length=3, max_length=2000)
    case_ref: str | None = Field(None, max_length=100)
    alert_ref: str | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _range(self) -> EvidenceIn:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class EvidenceOut(EvidenceIn):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    camera_id: str
    created_by: str
    created_at: datetime
    released_at: datetime | None
    origin: str = Field(description='"manual", "package" or "case" (lapses with its case once final)')
    lapses_at: datetime | None = Field(
        None, description="when a case's hold stops keeping footage: its case is final and the keep period ends"
    )
