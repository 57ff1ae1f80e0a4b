"""What a data-subject request answers, and an erasure as asked and as logged."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RecordKind = Literal["case", "open311_request", "business", "rating", "notification_contact"]
Action = Literal["anonymise", "erase"]


class SubjectRecordOut(BaseModel):
    """One record holding the subject; ``fields`` name where (``case_id``: a rating of the subject's case)."""

    kind: RecordKind
    id: str
    fields: list[str]
    created_at: datetime | None
    closed_at: datetime | None


class ErasureIn(BaseModel):
    """Exactly one of ``phone`` and ``email``. ``anonymise`` clears the subject's personal fields in every
    record (cases, Open311 requests, business owners, rating comments; notification contacts are
    blanked and deactivated); ``erase`` does the same but deletes the notification contacts, which exist
    only to hold the person. Cases, businesses and ratings are the city's records and always stay."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=200)
    action: Action
    reason: str = Field(min_length=1, max_length=2_000, description="why (the request's reference, the legal ground)")


class ErasureOut(BaseModel):
    """An erasure as logged: the subject is kept only as an HMAC (``subject_hash`` under key ``subject_kid``)."""

    id: int
    at: datetime
    by: str
    action: Action
    reason: str
    subject_kind: Literal["phone", "email"]
    subject_kid: str
    subject_hash: str
    counts: dict[str, int]
