"""Bodies of the rating link and the satisfaction indices."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.reports.cases.schemas import Status, Strict

# How the satisfaction index is grouped (a query parameter).
GroupBy = Literal["department", "category", "month"]


class RatingIn(Strict):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2_000)


class RatingViewOut(BaseModel):
    """What the reporter sees behind the one-time link: no personal data."""

    code: str
    category: str
    title: str
    status: Status
    received_at: datetime
    resolved_at: datetime | None
    outcome_text: str | None
    already_rated: bool


class SatisfactionRowOut(BaseModel):
    key: str
    ratings: int
    satisfaction_pct: float | None
    mean_rating: float | None
    resolved: int
    resolved_on_time_pct: float | None
    median_resolution_h: float | None


class SatisfactionSummaryOut(BaseModel):
    ratings: int
    satisfaction_index: float | None = Field(description="share of ratings 4 or 5, in percent")
    mean_rating: float | None
    resolved_on_time_pct: float | None
