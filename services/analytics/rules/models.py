"""The rule table."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Time, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, synonym

from services.analytics.db import Base


class Rule(Base):
    __tablename__ = "rule"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    camera: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    object_class: Mapped[str] = mapped_column(String(32))
    # The API calls the class ``object``; the synonym lets rule bodies map onto rows field by field.
    object: Mapped[str] = synonym("object_class")
    zone: Mapped[list[list[float]] | None] = mapped_column(JSONB)
    line: Mapped[list[list[float]] | None] = mapped_column(JSONB)
    min_count: Mapped[int] = mapped_column(Integer)
    min_duration_s: Mapped[float] = mapped_column(Float)
    cooldown_s: Mapped[float] = mapped_column(Float)
    active_from: Mapped[time | None] = mapped_column(Time)
    active_to: Mapped[time | None] = mapped_column(Time)
    max_movement: Mapped[float] = mapped_column(Float)
    min_object_area: Mapped[float] = mapped_column(Float)
    max_object_area: Mapped[float] = mapped_column(Float)
    min_confidence: Mapped[float] = mapped_column(Float)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
