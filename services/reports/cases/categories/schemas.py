"""Bodies of the case-category routes."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from services.reports.access import DepartmentCode
from services.reports.cases.schemas import SlaClass, Strict

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
LIST_TYPES = ("singlevaluelist", "multivaluelist")
Open311Type = Literal["realtime", "batch", "blackbox"]


class AttributeValue(Strict):
    key: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)


class ServiceAttribute(Strict):
    """A field a reporter fills in for a kind of case (an Open311 service-definition attribute)."""

    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
    # False: shown to the reporter as information only, nothing is asked.
    variable: bool = True
    datatype: Datatype = "string"
    required: bool = False
    datatype_description: str | None = Field(None, max_length=500)
    order: int = Field(ge=1, le=1000)
    description: str = Field(min_length=1, max_length=1000)
    values: list[AttributeValue] = Field(default_factory=list, max_length=500)
    # The choices are the active registered businesses (key: business id) instead of fixed ``values``.
    values_from: Literal["businesses"] | None = None

    @model_validator(mode="after")
    def _choices(self) -> ServiceAttribute:
        listed = self.datatype in LIST_TYPES
        if listed and not self.values and self.values_from is None:
            raise ValueError(f"a {self.datatype} needs values or values_from")
        if not listed and (self.values or self.values_from is not None):
            raise ValueError(f"a {self.datatype} takes no values")
        if self.values and self.values_from is not None:
            raise ValueError("give values or values_from, not both")
        if len({v.key for v in self.values}) != len(self.values):
            raise ValueError("value keys must be unique")
        if self.required and not self.variable:
            raise ValueError("an attribute that asks nothing (variable false) cannot be required")
        return self


def _unique_attributes(attributes: list[ServiceAttribute] | None) -> list[ServiceAttribute] | None:
    if attributes is not None:
        for what in ("code", "order"):
            seen = [getattr(a, what) for a in attributes]
            if len(set(seen)) != len(seen):
                raise ValueError(f"attribute {what}s must be unique")
    return attributes


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
    attributes: list[ServiceAttribute] = Field(default_factory=list, max_length=50)
    open311_type: Open311Type = "realtime"

    @model_validator(mode="after")
    def _attributes(self) -> CategoryIn:
        _unique_attributes(self.attributes)
        return self


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
    attributes: list[ServiceAttribute] | None = Field(None, max_length=50)
    open311_type: Open311Type | None = None

    @model_validator(mode="after")
    def _attributes(self) -> CategoryPatch:
        _unique_attributes(self.attributes)
        return self


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
    attributes: list[ServiceAttribute]
    open311_type: Open311Type
