"""Roll-ups, series and latest values as the aggregation routes return them."""

from __future__ import annotations

from pydantic import BaseModel


class CellOut(BaseModel):
    indicator: str
    department: str | None
    period: str
    value: float
    count: int


class PointOut(BaseModel):
    period: str
    value: float | None


class SeriesOut(BaseModel):
    indicator: str
    department: str | None
    points: list[PointOut]


class LatestOut(BaseModel):
    indicator: str
    period: str | None
    value: float | None
    previous_period: str | None = None
    previous_value: float | None = None
    change: float | None = None
    change_pct: float | None = None
    year_to_date: float | None = None
    target: float | None = None
    target_progress_pct: float | None = None
