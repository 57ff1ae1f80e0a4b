"""Response bodies of the counts API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

Bucket = Literal["minute", "hour", "day"]


class CountPointOut(BaseModel):
    """One period of one rule: occupancy of its zone (average and maximum), crossings of its line."""

    bucket: Bucket
    start: datetime
    rule_id: uuid.UUID
    object_class: str
    samples: int
    occupancy_avg: float
    occupancy_max: int
    crossings_in: int
    crossings_out: int
    # A density rule's zone: persons per m² (occupancy over the zone's area); None for other rules.
    density_avg: float | None = None
    density_max: float | None = None
