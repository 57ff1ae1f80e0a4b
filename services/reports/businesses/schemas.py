"""HTTP bodies of the business registry, listed prices and inspections."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from services.reports.datavalues.periods import CalendarDay

KNOWN_TYPES = ("hotel", "restaurant", "seafood_stall", "beach_service", "electric_car", "tour_operator", "market_stall")
BusinessType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
BusinessStatus = Literal["active", "suspended", "closed"]
ViolationType = Literal["unlisted_prices", "above_listed_price", "touting", "unlicensed", "other"]
ItemCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]


class BusinessPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: BusinessType | None = None
    name: str | None = Field(None, min_length=1, max_length=300)
    licence_no: OptionalText = Field(None, max_length=64)
    address: str | None = Field(None, max_length=500)
    ward: str | None = Field(None, max_length=100)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    owner_name: str | None = Field(None, max_length=200)
    owner_phone: str | None = Field(None, max_length=40)
    owner_email: str | None = Field(None, max_length=200)
    rooms: int | None = Field(None, ge=0, le=100_000)
    seats: int | None = Field(None, ge=0, le=100_000)


# A new business: the fields of a change, with type and name required (overridden, they keep their
# place). A comment, not a docstring: that would become the schema's description.
class BusinessIn(BusinessPatch):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"type": "seafood_stall", "name": "Quán hải sản Bà Hằng", "licence_no": "2801234567",
                 "address": "Đường Hồ Xuân Hương", "ward": "P_TRUNGSON", "lat": 19.741, "lon": 105.905,
                 "owner_name": "Nguyễn Thị Hằng", "owner_phone": "0912345678", "seats": 60}
            ]
        },
    )  # fmt: skip

    type: BusinessType = Field(description=f"e.g. {', '.join(KNOWN_TYPES)}")
    name: str = Field(min_length=1, max_length=300)


class BusinessPublicOut(BaseModel):
    """What anyone may see: no owner or contact data."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str
    name: str
    licence_no: str | None
    address: str | None
    ward: str | None
    lat: float | None
    lon: float | None
    rooms: int | None
    seats: int | None
    status: BusinessStatus
    status_reason: str | None


class OwnerOut(BaseModel):
    name: str | None
    phone: str | None
    email: str | None


class BusinessOut(BusinessPublicOut):
    created_at: datetime
    updated_at: datetime
    owner: OwnerOut | None = Field(None, description="only for roles allowed to see personal data")
    repeat_offender: bool = False
    confirmed_violations_12m: int = 0
    has_current_price_list: bool = False


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: BusinessStatus
    reason: str = Field(min_length=3, max_length=2000)


class StatusChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    reason: str | None
    by: str
    at: datetime


class PriceItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: ItemCode
    name: str = Field(min_length=1, max_length=300)
    unit: str = Field(min_length=1, max_length=40, examples=["kg", "đêm", "lượt"])
    price_vnd: int = Field(ge=0, le=10_000_000_000)


class PriceListIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Mùa hè 2026", "valid_from": "2026-05-01", "valid_to": "2026-08-31",
                 "items": [{"code": "tom-hum", "name": "Tôm hùm", "unit": "kg", "price_vnd": 1200000}]}
            ]
        },
    )  # fmt: skip

    name: str = Field(min_length=1, max_length=200)
    valid_from: CalendarDay
    valid_to: CalendarDay | None = None
    items: list[PriceItemIn] = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _check(self) -> PriceListIn:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        codes = [i.code for i in self.items]
        if len(codes) != len(set(codes)):
            raise ValueError("item codes must be unique within a price list")
        return self


class PriceItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    unit: str
    price_vnd: int


class PriceListPublicOut(BaseModel):
    """A listed price list as anyone sees it: not who entered it or when."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    business_id: uuid.UUID
    name: str
    valid_from: date
    valid_to: date | None
    withdrawn: bool
    items: list[PriceItemOut]


class PriceListOut(PriceListPublicOut):
    created_by: str
    created_at: datetime


class ViolationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ViolationType
    occurred_on: CalendarDay | None = Field(None, description="defaults to the inspection date")
    confirmed: bool = True
    fine_vnd: int | None = Field(None, ge=0, le=10_000_000_000)
    remedial_deadline: CalendarDay | None = None
    note: str | None = Field(None, max_length=2000)


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inspected_on: CalendarDay
    team: str = Field(min_length=1, max_length=200)
    findings: str | None = Field(None, max_length=10_000)
    violations: list[ViolationIn] = Field(default_factory=list, max_length=100)


class ViolationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    inspection_id: uuid.UUID
    type: str
    occurred_on: date
    confirmed: bool
    fine_vnd: int | None
    remedial_deadline: date | None
    note: str | None


class InspectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    business_id: uuid.UUID
    inspected_on: date
    team: str
    findings: str | None
    created_by: str
    violations: list[ViolationOut]


class ChargedItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: ItemCode
    quantity: float = Field(1.0, gt=0, le=100_000)
    charged_vnd: int = Field(ge=0, description="total charged for this quantity")


class DiscrepancyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: CalendarDay = Field(description="the date of the purchase complained about")
    items: list[ChargedItemIn] = Field(min_length=1, max_length=200)


class DiscrepancyLineOut(BaseModel):
    code: str
    name: str | None
    unit: str | None
    quantity: float
    listed_unit_vnd: int | None
    listed_total_vnd: float | None
    charged_vnd: int
    difference_vnd: float | None
    discrepancy_pct: float | None = Field(description="(charged - listed) / listed × 100; null when unlisted")
    listed: bool


class DiscrepancyOut(BaseModel):
    business_id: uuid.UUID
    on: date
    price_list_id: uuid.UUID | None
    price_list_name: str | None
    lines: list[DiscrepancyLineOut]
    listed_total_vnd: float
    charged_total_vnd: int
    discrepancy_pct: float | None
    unlisted_items: list[str]


class BusinessImportConflictOut(BaseModel):
    row: int
    field: str
    value: str | None
    reason: str


class BusinessImportSummaryOut(BaseModel):
    status: Literal["OK", "WARNING", "ERROR"]
    dry_run: bool
    imported: int
    updated: int
    ignored: int
    conflicts: list[BusinessImportConflictOut]


class ComplaintIn(BaseModel):
    """Name the business a complaint is about and what was charged, to compare with its listed prices."""

    model_config = ConfigDict(extra="forbid")

    business_id: uuid.UUID
    purchased_on: CalendarDay
    items: list[ChargedItemIn] = Field(min_length=1, max_length=200)


class CaseBusinessOut(BaseModel):
    case_id: int
    kind: Literal["complaint", "request"]
    business: BusinessPublicOut
    discrepancy: DiscrepancyOut | None


class BusinessRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300, examples=["Xin cấp phép đặt biển hiệu"])
    description: str = Field("", max_length=10_000)
    priority: Literal["low", "normal", "high", "urgent"] = "normal"


class LinkedCaseOut(BaseModel):
    case_id: int
    kind: str
    category: str
    title: str
    status: str
    received_at: datetime
    due_at: datetime
