"""The log of erasures (migration ``p0001_privacy``); the reporter fields live on ``cases.models.Case``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.reports.db import Base


class Erasure(Base):
    """One data-subject erasure: who asked it, why, what it did. The subject (phone or e-mail) is kept
    only as an HMAC under ``subject_kid``, so the log itself holds no personal data but a later request
    for the same subject can be matched to it."""

    __tablename__ = "privacy_erasure"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    subject_kind: Mapped[str] = mapped_column(Text)
    subject_kid: Mapped[str] = mapped_column(Text)
    subject_hash: Mapped[str] = mapped_column(Text)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB)
