"""Stored values and their change history, as the read routes return them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AuditEntryOut(BaseModel):
    action: str
    old_value: str | None
    new_value: str | None
    old_comment: str | None
    new_comment: str | None
    changed_by: str
    changed_at: datetime
    import_id: str | None = Field(description="the import that made the change (none for a creation)")


class StoredValueOut(BaseModel):
    indicator: str
    department: str
    period: str
    category_option_combo: str = Field(description="the disaggregation's code ('default' when none)")
    value: str
    comment: str | None
    stored_by: str
    created_at: datetime
    updated_at: datetime
