"""Request and response bodies of the snoozes API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.params import Instant


class SnoozeIn(BaseModel):
    """Hold back a camera's alerts (every rule) or one rule's, until ``until``. Give camera or rule_id."""

    # A reason of blanks is no reason.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    camera: str | None = Field(None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    rule_id: uuid.UUID | None = None
    until: Instant = Field(description="when the snooze expires (at most 30 days ahead)")
    reason: str = Field(min_length=3, max_length=1000, description="why (kept with the snooze and audited)")


class SnoozeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    camera: str
    rule_id: uuid.UUID | None
    reason: str
    starts_at: datetime
    until: datetime
    created_by: str
    ended_at: datetime | None
    ended_by: str | None
    active: bool = Field(description="holding alerts back now")
