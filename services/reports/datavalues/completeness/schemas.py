"""Completeness, overdue reports and submissions at the HTTP boundary."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class ReportStatusOut(BaseModel):
    department: str
    period: str
    due: date
    submitted_at: datetime | None
    on_time: bool
    overdue: bool


class CompletenessOut(BaseModel):
    form: str
    expected: int
    submitted: int
    on_time: int
    overdue: int
    completeness_pct: float | None
    timeliness_pct: float | None
    reports: list[ReportStatusOut]


class OverdueOut(BaseModel):
    form: str
    department: str
    period: str
    due: date
    days_overdue: int


class DueOut(BaseModel):
    form: str
    department: str
    period: str
    due: date
    overdue: bool


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: str
    period: str


class SubmissionOut(BaseModel):
    form: str
    department: str
    period: str
    submitted_at: datetime
    due: date
    on_time: bool
