"""Recording tables of the ``ingest`` schema: per-camera settings, segment index, evidence, alert windows."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Double, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from services.ingest.db import Base


class RecordingConfig(Base):
    __tablename__ = "recording_config"

    camera_id: Mapped[str] = mapped_column(Text, primary_key=True)
    mode: Mapped[str] = mapped_column(Text, default="off")
    retention_days: Mapped[int] = mapped_column(Integer, default=7)
    pre_s: Mapped[float] = mapped_column(Double, default=10.0)
    post_s: Mapped[float] = mapped_column(Double, default=20.0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Segment(Base):
    __tablename__ = "segment"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(Text, index=True)
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    path: Mapped[str] = mapped_column(Text, unique=True)
    bytes: Mapped[int] = mapped_column(BigInteger)
    codec: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Evidence(Base):
    """A range of footage that must be kept until released (open case, fined violation…)."""

    __tablename__ = "evidence"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    camera_id: Mapped[str] = mapped_column(Text, index=True)
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    case_ref: Mapped[str | None] = mapped_column(Text)
    alert_ref: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who asked: "manual" (the API), "package" (an evidence package) or "case" (footage attached to a
    # case in reports). Only "case" holds lapse with their case; the others stay until released.
    origin: Mapped[str] = mapped_column(Text, default="manual", server_default="manual")


class CaseEvidence(Base):
    """Whether a case in reports is final, as last told on the bus: its "case" holds lapse once the keep
    period after ``closed_at`` has passed. One row per case, whichever message came first, so a hold
    that arrives after its case closed lapses with it."""

    __tablename__ = "case_evidence"

    case_ref: Mapped[str] = mapped_column(Text, primary_key=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The ``at`` of the message that set this row: an older message never overwrites a newer one.
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertWindow(Base):
    """When an alert was active on a camera: what `events` recording keeps (± pre/post)."""

    __tablename__ = "alert_window"

    alert_id: Mapped[str] = mapped_column(Text, primary_key=True)
    camera_id: Mapped[str] = mapped_column(Text, index=True)
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
