"""Bodies of the catalogue routes: departments, indicators, report forms."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.reports.access import DEPARTMENT_CODE, DepartmentCode
from services.reports.datavalues.periods import CalendarDay, PeriodType

CODE = r"^[A-Za-z0-9_.\-]{1,64}$"
ValueType = Literal["number", "integer", "percentage", "boolean", "text"]
Aggregation = Literal["sum", "average", "last", "min", "max"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DepartmentIn(Strict):
    code: str = Field(pattern=DEPARTMENT_CODE)
    name: str = Field(min_length=1, max_length=300)
    kind: Literal["city", "department", "ward", "commune", "unit"] = "department"
    parent: DepartmentCode | None = Field(None, description="code of the parent department")
    valid_from: CalendarDay | None = None
    valid_to: CalendarDay | None = None
    successor: DepartmentCode | None = Field(None, description="code of the unit this one was merged into")

    @model_validator(mode="after")
    def _dates(self) -> DepartmentIn:
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("valid_from must not be after valid_to")
        return self


class DepartmentPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=300)
    kind: Literal["city", "department", "ward", "commune", "unit"] | None = None
    parent: DepartmentCode | None = None
    valid_from: CalendarDay | None = None
    valid_to: CalendarDay | None = None
    successor: DepartmentCode | None = None


class DepartmentOut(BaseModel):
    code: str
    uid: str = Field(description="DHIS2 UID: 11 characters, letter first; stable")
    name: str
    kind: str
    parent: str | None
    valid_from: date | None
    valid_to: date | None
    successor: str | None


class IndicatorIn(Strict):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=300)
    unit: str = Field("", max_length=50)
    value_type: ValueType
    aggregation: Aggregation
    period_type: PeriodType
    domain: str = Field(min_length=1, max_length=50)
    min_value: float | None = None
    max_value: float | None = None
    alert_above: float | None = Field(None, description="raise an alert when a value exceeds this")
    alert_below: float | None = Field(None, description="raise an alert when a value falls below this")
    description: str | None = None
    targets: dict[int, float] = Field(default_factory=dict, description="target per year, e.g. {2026: 1.2e6}")

    @model_validator(mode="after")
    def _limits(self) -> IndicatorIn:
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValueError("min_value must not exceed max_value")
        if self.value_type in ("boolean", "text") and (self.alert_above is not None or self.alert_below is not None):
            raise ValueError("thresholds need a numeric value_type")
        return self


class IndicatorPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=300)
    unit: str | None = Field(None, max_length=50)
    domain: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    alert_above: float | None = None
    alert_below: float | None = None
    description: str | None = None
    targets: dict[int, float] | None = None


class IndicatorOut(BaseModel):
    code: str
    uid: str = Field(description="DHIS2 UID: 11 characters, letter first; stable")
    name: str
    unit: str
    value_type: str
    aggregation: str
    period_type: str
    domain: str
    min_value: float | None
    max_value: float | None
    alert_above: float | None
    alert_below: float | None
    description: str | None
    targets: dict[int, float]


class FormIn(Strict):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=300)
    period_type: PeriodType
    deadline_days: int = Field(ge=0, le=366, description="days after the period ends by which it is due")
    indicators: list[str] = Field(min_length=1)
    departments: list[DepartmentCode] = Field(default_factory=list)


class FormPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=300)
    deadline_days: int | None = Field(None, ge=0, le=366)
    indicators: list[str] | None = Field(None, min_length=1)
    departments: list[DepartmentCode] | None = None


class FormOut(BaseModel):
    code: str
    uid: str = Field(description="DHIS2 UID: 11 characters, letter first; stable")
    name: str
    period_type: str
    deadline_days: int
    indicators: list[str]
    departments: list[str]
