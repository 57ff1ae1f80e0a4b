"""Bodies of the incident API (pydantic v2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

IncidentStatus = Literal["open", "ended"]


class IncidentCameraOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    camera: str
    down_at: datetime
    up_at: datetime | None
    reason: str | None


class IncidentOut(BaseModel):
    id: uuid.UUID
    status: IncidentStatus
    group_key: str
    keys: list[str]
    detail: str
    started_at: datetime
    ended_at: datetime | None
    down: int
    peak_down: int
    cameras: list[IncidentCameraOut]
