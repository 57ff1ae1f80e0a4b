"""Alerts whose rule asks for a case to be suggested rather than opened (``case_policy = suggest``), and
how far each alert origin has been applied."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.reports.db import Base


class CaseSuggestion(Base):
    """One suggested alert: its latest lifecycle message, until an operator opens its case."""

    __tablename__ = "case_suggestion"

    alert_id: Mapped[str] = mapped_column(Text, primary_key=True)
    alert_key: Mapped[str] = mapped_column(Text)  # <camera>.<rule>, as cases keep it
    event: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the AlertEvent, as received
    stream_seq: Mapped[int] = mapped_column(BigInteger)
    suggested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("city_case.id", ondelete="SET NULL"))
    opened_by: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AlertOrigin(Base):
    """The stream sequence of the last message of one ALERTS subject (an origin) applied to the cases: the
    origin's messages are applied in stream order, each only once those before it on the subject are."""

    __tablename__ = "alert_origin"

    alert_key: Mapped[str] = mapped_column(Text, primary_key=True)  # <camera>.<rule>, as cases keep it
    stream_seq: Mapped[int] = mapped_column(BigInteger)
