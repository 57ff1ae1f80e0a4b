"""Bodies of the directive routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.reports.access import DepartmentCode
from services.reports.cases.schemas import Priority, Strict
from services.reports.datavalues.periods import CalendarDay


class DirectiveIn(Strict):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field("", max_length=20_000)
    departments: list[DepartmentCode] = Field(min_length=1, max_length=50)
    deadline: CalendarDay
    priority: Priority = "normal"
    case_ids: list[int] = Field(default_factory=list, max_length=100)
    indicator_codes: list[str] = Field(default_factory=list, max_length=100)
    project_ids: list[int] = Field(default_factory=list, max_length=100)


class ProgressIn(Strict):
    department: DepartmentCode | None = Field(
        None, description="required when the caller reports for several departments"
    )
    percent: int = Field(ge=0, le=100)
    done: bool = False
    note: str | None = Field(None, max_length=5_000)


class DirectiveDepartmentOut(BaseModel):
    department: str
    status: str
    percent: int
    done_at: datetime | None
    overdue: bool


class ProgressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    department: str
    percent: int
    done: bool
    note: str | None
    reported_by: str
    at: datetime


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    department: str
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    at: datetime


class DirectiveOut(BaseModel):
    id: int
    title: str
    body: str
    issued_by: str
    issued_at: datetime
    deadline: date
    priority: Priority
    status: Literal["open", "in_progress", "done", "overdue"]
    done_at: datetime | None
    case_ids: list[int]
    indicator_codes: list[str]
    project_ids: list[int]
    departments: list[DirectiveDepartmentOut]
    progress: list[ProgressOut] | None = None


class DirectivesSummaryOut(BaseModel):
    open: int
    overdue: int
    overdue_by_department: dict[str, int]
