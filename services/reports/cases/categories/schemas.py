"""Bodies of the case-category routes."""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from services.reports.access import DepartmentCode
from services.reports.cases.schemas import SlaClass, Strict


class CategoryIn(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    group: str = Field("other", min_length=1, max_length=64)
    department: DepartmentCode
    sla_class: SlaClass = "normal"
    deadline_days: int = Field(5, ge=1, le=90, description="working days; 1 for emergency, 3 for quick")
    alert_rule_types: list[str] = Field(default_factory=list, max_length=20)
    duplicate_radius_m: int = Field(150, ge=0, le=10_000)
    duplicate_window_h: int = Field(72, ge=0, le=24 * 90)
    active: bool = True
    # Private unless published: a public category's cases are shown to anyone on the internet.
    public: bool = False


class CategoryPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    group: str | None = Field(None, min_length=1, max_length=64)
    department: DepartmentCode | None = None
    sla_class: SlaClass | None = None
    deadline_days: int | None = Field(None, ge=1, le=90)
    alert_rule_types: list[str] | None = Field(None, max_length=20)
    duplicate_radius_m: int | None = Field(None, ge=0, le=10_000)
    duplicate_window_h: int | None = Field(None, ge=0, le=24 * 90)
    active: bool | None = None
    public: bool | None = None


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    description: str | None
    group: str = Field(validation_alias=AliasChoices("group", "group_name"))  # the column is group_name
    department: str
    sla_class: SlaClass
    deadline_days: int
    alert_rule_types: list[str]
    duplicate_radius_m: int
    duplicate_window_h: int
    active: bool
    public: bool
