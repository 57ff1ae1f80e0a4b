"""Bodies of the case routes: cases, their workflow moves, timeline and outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from services.reports.access import DepartmentCode

Status = Literal["new", "acknowledged", "assigned", "in_progress", "resolved", "closed", "rejected", "reopened"]
Source = Literal["citizen", "business", "hotline", "department", "camera_alert"]
Priority = Literal["low", "normal", "high", "urgent"]
SlaClass = Literal["emergency", "quick", "normal"]
# The longest clip ingest exports (its clip route refuses more).
MAX_CLIP_S = 3 * 3600
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


class ReporterIn(Strict):
    """Personal data: returned only to administrators, leaders and operators, in single-case views."""

    # A business files requests under its own name, which may be up to 300 characters.
    name: str | None = Field(None, max_length=300)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=200)


class ClearanceIn(Strict):
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
    reporter: ReporterIn | None = None
    attachments: list[str] = Field(default_factory=list, max_length=20)
    project_id: int | None = None
    clearance: ClearanceIn | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> CaseIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self


class OutcomeIn(Strict):
    """How a case was settled; tourism enforcement records the measure and the money."""

    measures: list[Measure] = Field(default_factory=list, max_length=5)
    fine_vnd: int = Field(0, ge=0)
    refund_vnd: int = Field(0, ge=0)
    licence_action: str | None = Field(None, max_length=200)
    result_text: str | None = Field(None, max_length=5_000)


class TransitionIn(Strict):
    to: Status
    comment: str | None = Field(None, max_length=5_000)
    department: DepartmentCode | None = None
    outcome: OutcomeIn | None = None


class CommentIn(Strict):
    comment: str = Field(min_length=1, max_length=5_000)


class MergeIn(Strict):
    into: int
    comment: str | None = Field(None, max_length=5_000)


class TimelineEntryOut(BaseModel):
    at: datetime
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    comment: str | None
    data: dict[str, object] | None


class ReporterOut(ReporterIn):
    """The reporter's contact in single-case views (the same fields as given)."""


class ClearanceOut(ClearanceIn):
    """Site-clearance details as stored (``household_name`` hidden from roles without personal data)."""


class OutcomeOut(OutcomeIn):
    """How the case was settled, as recorded."""


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


class CaseDetailOut(CaseOut):
    description: str
    attachments: list[str]
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolved_on_time: bool | None
    outcome: OutcomeOut | None
    project_id: int | None
    clearance: ClearanceOut | None
    allowed_moves: list[str]
    rating: int | None
    reporter: ReporterOut | None = None
    timeline: list[TimelineEntryOut]


class TransitionOut(BaseModel):
    case: CaseDetailOut
    rating_link: str | None = Field(
        None, description="one-time satisfaction link for the reporter (resolved cases, centre staff only)"
    )


class CasesSummaryOut(BaseModel):
    open: int
    overdue: int
    by_category: dict[str, dict[str, int]]


class DepartmentOverdueOut(BaseModel):
    department: str | None = Field(description="null: the centre's cases, assigned to no department")
    open: int
    overdue: int


class CasesBreakdownOut(BaseModel):
    """Cases received in a period by category and status; per department, those still open and late."""

    since: datetime
    until: datetime
    received: int
    by_category: dict[str, dict[str, int]] = Field(examples=[{"lighting": {"new": 2, "closed": 5}}])
    by_department: list[DepartmentOverdueOut]


class ClipIn(Strict):
    """A camera's footage over [start, end] attached to a case (kept as evidence while attached)."""

    camera: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    start: AwareDatetime
    end: AwareDatetime
    note: str | None = Field(None, max_length=2_000)

    @model_validator(mode="after")
    def _range(self) -> ClipIn:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if (self.end - self.start).total_seconds() > MAX_CLIP_S:
            raise ValueError(f"a clip may span at most {MAX_CLIP_S // 3600} hours")
        return self
