"""Request and response bodies of the rules API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.analytics.pipeline.rules import RuleType

ObjectClass = Literal["person", "car", "motorbike", "bus", "truck", "bicycle", "moving_object"]


@dataclass(frozen=True)
class RuleFilter:
    """Which rules a list covers; an empty list does not filter."""

    cameras: list[str]
    types: list[RuleType]
    enabled: bool | None = None


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
    min_confidence: float = Field(
        0.4, ge=0, le=1, description="ignore objects the detector scored lower (its last sighting)"
    )
    enabled: bool = True


class RuleOut(RuleIn):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
