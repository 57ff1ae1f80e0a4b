"""Request and response bodies of the rules API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.analytics.pipeline.rules import RuleType
from services.analytics.pipeline.schedule import HolidayMode
from shared.messages import CasePolicy, Severity

ObjectClass = Literal["person", "car", "motorbike", "bus", "truck", "bicycle", "moving_object"]
# What may park: the classes of an illegal_parking rule (all of them unless `objects` names some).
VEHICLES: tuple[ObjectClass, ...] = ("car", "motorbike", "bus", "truck")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
EVERY_DAY: list[Day] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class ScheduleWindow(BaseModel):
    """One weekly window in local time (Asia/Ho_Chi_Minh). It belongs to the day it opens on: a Friday
    19:00–05:00 window runs into Saturday morning. ``from`` equal to ``to`` is a whole day."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    days: list[Day] = Field(default_factory=lambda: list(EVERY_DAY), min_length=1)
    from_: time = Field(alias="from", description="local time the window opens, e.g. 19:00")
    to: time = Field(description="local time it closes; earlier than from = the next morning")
    holidays: HolidayMode = Field(
        "include",
        description="Vietnamese public holidays and Tết: include (like any day), skip, or only (festival days)",
    )


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
    schedule: list[ScheduleWindow] | None = Field(
        None, min_length=1, max_length=32, description="weekly windows the rule applies in (none: always)"
    )
    severity: Severity = "medium"
    case_policy: CasePolicy = Field(
        "auto", description="auto: each alert opens a case; suggest: an operator opens it in one click; never"
    )
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
    objects: list[ObjectClass] | None = Field(
        None, min_length=1, description="several classes on one rule (replaces `object`), e.g. a line counting vehicles"
    )
    allowed_direction: Literal["in", "out"] | None = Field(
        None, description="wrong_way: the direction allowed across the line ('in' = from the left of a→b to its right)"
    )
    zone_area_m2: float | None = Field(None, gt=0, le=10_000_000, description="density: the zone's ground area")
    max_density: float | None = Field(None, gt=0, le=100, description="density: persons per m² above which it alerts")
    road: str | None = Field(
        None, min_length=1, max_length=200, description="line_crossing: the road whose traffic volume it counts"
    )
    enabled: bool = True


class RuleOut(RuleIn):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
