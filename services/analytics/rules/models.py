"""The rule table."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

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
    objects: Mapped[list[str] | None] = mapped_column(JSONB)
    allowed_direction: Mapped[str | None] = mapped_column(String(3))
    zone_area_m2: Mapped[float | None] = mapped_column(Float)
    max_density: Mapped[float | None] = mapped_column(Float)
    road: Mapped[str | None] = mapped_column(String(200))
    # [{"days": [...], "from": "19:00", "to": "05:00", "holidays": "include"}, ...] as the API takes it.
    schedule: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    severity: Mapped[str] = mapped_column(String(16), server_default="medium")
    case_policy: Mapped[str] = mapped_column(String(16), server_default="auto")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
