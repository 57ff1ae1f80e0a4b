"""HTTP bodies of the audit log."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    kind: str
    method: str
    path: str
    status: int
    client: str | None
    camera: str | None
    case_id: str | None
    # HMACs of the phone numbers and emails whose contact details were read (never the values).
    subject: list[str] | None
    reason: str | None
    detail: str | None
    prev_hash: str
    hash: str
