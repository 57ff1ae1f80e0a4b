"""Bodies of the traffic-count route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class TrafficFilter:
    departments: list[str]  # road department codes (ROAD-...); empty: all readable
    cameras: list[str]
    since: datetime | None
    until: datetime | None


class TrafficCountOut(BaseModel):
    """Crossings of one counting line in one 15-minute period, for one class and direction."""

    model_config = ConfigDict(from_attributes=True)

    department: str
    road: str
    camera: str
    rule_id: str
    period_start: datetime
    period_end: datetime
    object_class: str
    direction: str
    count: int
