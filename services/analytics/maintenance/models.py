"""Maintenance windows: while one covers a camera, it is in no outage and raises no health alert."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.analytics.db import Base


class MaintenanceWindow(Base):
    __tablename__ = "maintenance_window"
    __table_args__ = (Index("ix_maintenance_window_ends_at", "ends_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Exactly one target: these cameras, every camera of a ward, or every camera with a tag.
    cameras: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    ward: Mapped[str | None] = mapped_column(String(200))
    tag: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
