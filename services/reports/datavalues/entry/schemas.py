"""Bodies of the form entry routes: the grid, a draft or submission, an upload's preview, history."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from services.reports.access import DepartmentCode
from services.reports.datavalues.completeness.schemas import SubmissionOut
from services.reports.datavalues.imports.schemas import ConflictOut, ImportSummaryOut


class CellIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(max_length=64)
    category_option_combo: str = Field("default", max_length=64)
    value: str = Field("", max_length=50_000, description="as typed; an empty cell is left out on submit")
    comment: str | None = Field(None, max_length=50_000)


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: DepartmentCode
    period: str = Field(max_length=20)
    cells: list[CellIn] = Field(default_factory=list, max_length=5_000)


class CellOut(BaseModel):
    category_option_combo: str
    value: str | None = Field(description="the stored (counted) value")
    comment: str | None
    draft: str | None = Field(description="the draft's value, when a draft holds this cell")
    draft_comment: str | None = None


class GridRowOut(BaseModel):
    indicator: str
    name: str
    unit: str
    value_type: str
    min_value: float | None
    max_value: float | None
    cells: list[CellOut]


class ColumnOut(BaseModel):
    code: str
    name: str


class GridOut(BaseModel):
    form: str
    name: str
    department: str
    period: str
    due: date
    submitted_at: datetime | None
    draft_saved_at: datetime | None
    draft_saved_by: str | None
    columns: list[ColumnOut] = Field(description="every option combo of the form's indicators")
    rows: list[GridRowOut]


class DraftOut(BaseModel):
    form: str
    department: str
    period: str
    saved_at: datetime
    cells: int


class CellConflictOut(ConflictOut):
    indicator: str
    category_option_combo: str


class SubmitOut(BaseModel):
    import_summary: ImportSummaryOut
    submission: SubmissionOut


class OverwriteOut(BaseModel):
    row: int
    indicator: str
    department: str
    period: str
    category_option_combo: str
    old_value: str
    new_value: str


class UploadOut(BaseModel):
    import_summary: ImportSummaryOut
    overwrites: list[OverwriteOut] = Field(description="rows that replace a different stored value")


class HistoryOut(BaseModel):
    form: str
    form_name: str
    department: str
    period: str
    submitted_at: datetime
    submitted_by: str


class ChangeOut(BaseModel):
    changed_at: datetime
    indicator: str
    department: str
    period: str
    action: str
    old_value: str | None
    new_value: str | None
    changed_by: str
    import_id: str
