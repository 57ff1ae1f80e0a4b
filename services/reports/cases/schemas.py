"""Request and response bodies of the city-cases API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.reports.domain.periods import CalendarDay

Status = Literal["new", "acknowledged", "assigned", "in_progress", "resolved", "closed", "rejected", "reopened"]
Source = Literal["citizen", "business", "hotline", "department", "camera_alert"]
Priority = Literal["low", "normal", "high", "urgent"]
SlaClass = Literal["emergency", "quick", "normal"]
Measure = Literal["warning", "fine", "refund", "licence_action", "none"]
HandoverStatus = Literal["not_inventoried", "inventoried", "plan_approved", "paid", "handed_over", "enforced"]
Obstacle = Literal[
    "price_disagreement",
    "land_origin_dispute",
    "resettlement_not_ready",
    "owner_absent",
    "inheritance_dispute",
    "other",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryIn(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    group: str = Field("other", min_length=1, max_length=64)
    department: str = Field(min_length=1, max_length=64)
    sla_class: SlaClass = "normal"
    deadline_days: int = Field(5, ge=1, le=90, description="working days; 1 for emergency, 3 for quick")
    alert_rule_types: list[str] = Field(default_factory=list, max_length=20)
    duplicate_radius_m: int = Field(150, ge=0, le=10_000)
    duplicate_window_h: int = Field(72, ge=0, le=24 * 90)
    active: bool = True


class CategoryPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    group: str | None = Field(None, min_length=1, max_length=64)
    department: str | None = Field(None, min_length=1, max_length=64)
    sla_class: SlaClass | None = None
    deadline_days: int | None = Field(None, ge=1, le=90)
    alert_rule_types: list[str] | None = Field(None, max_length=20)
    duplicate_radius_m: int | None = Field(None, ge=0, le=10_000)
    duplicate_window_h: int | None = Field(None, ge=0, le=24 * 90)
    active: bool | None = None


class CategoryOut(BaseModel):
    code: str
    name: str
    description: str | None
    group: str
    department: str
    sla_class: SlaClass
    deadline_days: int
    alert_rule_types: list[str]
    duplicate_radius_m: int
    duplicate_window_h: int
    active: bool


class Reporter(Strict):
    """Personal data: returned only to administrators, leaders and operators, in single-case views."""

    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=200)


class Clearance(Strict):
    """What a site-clearance case is about; ``household_name`` is personal data."""

    parcel_no: str | None = Field(None, max_length=64)
    household_name: str | None = Field(None, max_length=200)
    area_m2: float | None = Field(None, ge=0)
    compensation_approved_vnd: int | None = Field(None, ge=0)
    compensation_paid_vnd: int | None = Field(None, ge=0)
    handover_status: HandoverStatus = "not_inventoried"
    obstacle_type: Obstacle | None = None


class CaseIn(Strict):
    category: str
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=10_000)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    address: str | None = Field(None, max_length=500)
    ward: str | None = Field(None, max_length=64)
    source: Source = "citizen"
    priority: Priority = "normal"
    reporter: Reporter | None = None
    attachments: list[str] = Field(default_factory=list, max_length=20)
    project_id: int | None = None
    clearance: Clearance | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> CaseIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self


class Outcome(Strict):
    """How a case was settled; tourism enforcement records the measure and the money."""

    measures: list[Measure] = Field(default_factory=list, max_length=5)
    fine_vnd: int = Field(0, ge=0)
    refund_vnd: int = Field(0, ge=0)
    licence_action: str | None = Field(None, max_length=200)
    result_text: str | None = Field(None, max_length=5_000)


class TransitionIn(Strict):
    to: Status
    comment: str | None = Field(None, max_length=5_000)
    department: str | None = Field(None, min_length=1, max_length=64)
    outcome: Outcome | None = None


class CommentIn(Strict):
    comment: str = Field(min_length=1, max_length=5_000)


class MergeIn(Strict):
    into: int
    comment: str | None = Field(None, max_length=5_000)


class TimelineEntry(BaseModel):
    at: datetime
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    comment: str | None
    data: dict[str, object] | None


class CaseOut(BaseModel):
    """What list views show: no personal data, no description."""

    id: int
    code: str
    category: str
    title: str
    status: Status
    priority: Priority
    source: Source
    ward: str | None
    address: str | None
    lat: float | None
    lon: float | None
    department: str | None
    sla_class: SlaClass
    received_at: datetime
    due_at: datetime
    overdue: bool
    updated_at: datetime
    likely_duplicate_of: int | None
    duplicate_of: int | None


class CaseDetail(CaseOut):
    description: str
    attachments: list[str]
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolved_on_time: bool | None
    outcome: Outcome | None
    project_id: int | None
    clearance: Clearance | None
    allowed_moves: list[str]
    rating: int | None
    reporter: Reporter | None = None
    timeline: list[TimelineEntry]


class TransitionOut(BaseModel):
    case: CaseDetail
    rating_link: str | None = Field(
        None, description="one-time satisfaction link for the reporter (resolved cases, centre staff only)"
    )


class CasesSummary(BaseModel):
    open: int
    overdue: int
    by_category: dict[str, dict[str, int]]


class RatingIn(Strict):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2_000)


class RatingView(BaseModel):
    """What the reporter sees behind the one-time link: no personal data."""

    code: str
    category: str
    title: str
    status: Status
    received_at: datetime
    resolved_at: datetime | None
    outcome_text: str | None
    already_rated: bool


class SatisfactionRow(BaseModel):
    key: str
    ratings: int
    satisfaction_pct: float | None
    mean_rating: float | None
    resolved: int
    resolved_on_time_pct: float | None
    median_resolution_h: float | None


class SatisfactionSummary(BaseModel):
    ratings: int
    satisfaction_index: float | None = Field(description="share of ratings 4 or 5, in percent")
    mean_rating: float | None
    resolved_on_time_pct: float | None


class DirectiveIn(Strict):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field("", max_length=20_000)
    departments: list[str] = Field(min_length=1, max_length=50)
    deadline: CalendarDay
    priority: Priority = "normal"
    case_ids: list[int] = Field(default_factory=list, max_length=100)
    indicator_codes: list[str] = Field(default_factory=list, max_length=100)
    project_ids: list[int] = Field(default_factory=list, max_length=100)


class ProgressIn(Strict):
    department: str | None = Field(None, description="required when the caller reports for several departments")
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
    department: str
    percent: int
    done: bool
    note: str | None
    reported_by: str
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


class DirectivesSummary(BaseModel):
    open: int
    overdue: int
    overdue_by_department: dict[str, int]


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
