"""Bodies of the site-clearance project routes."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.reports.cases.schemas import Strict
from services.reports.datavalues.periods import CalendarDay


class ProjectIn(Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1, max_length=300)
    ward: str = Field(min_length=1, max_length=64)
    area_ha: float = Field(gt=0)
    households: int = Field(ge=0)
    budget_vnd: int = Field(ge=0)
    start_date: CalendarDay
    planned_end_date: CalendarDay

    @model_validator(mode="after")
    def _dates(self) -> ProjectIn:
        if self.planned_end_date <= self.start_date:
            raise ValueError("planned_end_date must be after start_date")
        return self


class ProjectProgressIn(Strict):
    as_of: CalendarDay
    households_agreed: int = Field(ge=0)
    households_paid: int = Field(ge=0)
    households_handed_over: int = Field(ge=0)
    area_cleared_ha: float = Field(ge=0)
    compensation_paid_vnd: int = Field(ge=0)
    note: str | None = Field(None, max_length=5_000)


class ProjectProgressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    as_of: date
    households_agreed: int
    households_paid: int
    households_handed_over: int
    area_cleared_ha: float
    compensation_paid_vnd: int
    note: str | None
    reported_by: str


class ProjectOut(BaseModel):
    id: int
    code: str
    name: str
    ward: str
    area_ha: float
    households: int
    budget_vnd: int
    start_date: date
    planned_end_date: date
    latest: ProjectProgressOut | None
    percent_complete: float = Field(description="mean of area cleared and households handed over, in percent")
    expected_percent: float = Field(description="linear plan between start and planned end, as of the latest report")
    slippage_points: float = Field(description="expected minus actual percent; positive means behind schedule")
    projected_end_date: date | None
    linked_cases: list[int]
    history: list[ProjectProgressOut] | None = None
