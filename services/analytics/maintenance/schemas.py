"""Bodies of the maintenance window API (pydantic v2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.params import Instant

CameraId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
# A window is for maintenance, not a way to silence a camera for good.
MAX_WINDOW_DAYS = 31


class MaintenanceWindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cameras: list[CameraId] = Field(default_factory=list, max_length=1000, description="these cameras")
    ward: str | None = Field(None, min_length=1, max_length=200, description="or every camera of this ward")
    tag: str | None = Field(None, min_length=1, max_length=100, description="or every camera with this tag")
    starts_at: Instant | None = Field(None, description="default: now")
    ends_at: Instant
    reason: str = Field(min_length=1, max_length=2000)


class MaintenanceWindowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    cameras: list[str]
    ward: str | None
    tag: str | None
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    created_at: datetime
    active: bool = False
