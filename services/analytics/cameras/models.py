"""Per-camera settings kept in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.analytics.db import Base


class CameraMask(Base):
    """Motion masks of a camera: polygons (normalised) where movement is ignored (trees, flags, clocks)."""

    __tablename__ = "camera_mask"

    camera: Mapped[str] = mapped_column(String(128), primary_key=True)
    polygons: Mapped[list[list[list[float]]]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CameraDetector(Base):
    """The detector a camera runs, chosen for that camera (over its category's and the default)."""

    __tablename__ = "camera_detector"

    camera: Mapped[str] = mapped_column(String(128), primary_key=True)
    detector: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
