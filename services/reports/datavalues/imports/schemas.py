"""Bodies of the data-value push: the values in (for the OpenAPI document) and the import summary out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.reports.datavalues.imports.summary import Strategy


class DataValueIn(BaseModel):
    """One pushed value (OpenAPI description; rows are checked one by one, see the import summary)."""

    indicator: str = Field(examples=["TOUR_ARRIVALS"])
    department: str = Field(examples=["VHTT"])
    period: str = Field(examples=["2026-01", "202601", "2026Q1", "2026W05", "2026-01-15", "2026"])
    value: str | float | int | bool = Field(examples=["125000"])
    comment: str | None = None


class DataValuesIn(BaseModel):
    data_values: list[DataValueIn] = Field(alias="dataValues")


class ConflictOut(BaseModel):
    row: int = Field(description="0-based index of the value in the submitted batch (CSV: data row index)")
    field: str
    value: str | None
    reason: str
    code: str


class ImportCountsOut(BaseModel):
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0
    deleted: int = 0


class ImportSummaryOut(BaseModel):
    import_id: str
    status: Literal["SUCCESS", "WARNING", "ERROR"]
    dry_run: bool
    strategy: Strategy
    atomic: bool
    total: int
    counts: ImportCountsOut
    conflicts: list[ConflictOut]
