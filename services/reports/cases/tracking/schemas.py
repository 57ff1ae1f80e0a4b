"""Bodies of the public report routes: what a reporter sends and sees, no personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from services.reports.cases.schemas import Status


class FiledOut(BaseModel):
    """Shown after submitting: the code to follow the report by, and the ward its place lies in."""

    code: str
    ward: str | None
    service_notice: str
    photo: bool


class TimelineItemOut(BaseModel):
    at: datetime
    kind: Literal["created", "transition", "merged"]
    status: Status | None


class TrackedOut(BaseModel):
    code: str
    service_code: str
    service_name: str
    status: Status
    open: bool
    ward: str | None
    received_at: datetime
    expected_at: datetime
    updated_at: datetime
    outcome_text: str | None
    timeline: list[TimelineItemOut]
    # Handled (resolved or closed) and not rated yet: the reporter may ask for a rating link.
    can_rate: bool
    rated: bool


class RatingLinkOut(BaseModel):
    """A one-time token for the ratings API (``GET``/``POST /api/v1/ratings/{token}``)."""

    token: str
