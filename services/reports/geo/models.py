"""The ``geo_layer`` table (migration ``g0001_geo``): one GeoJSON FeatureCollection per layer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.reports.db import Base


class GeoLayer(Base):
    """A layer as loaded, replaced whole by each load (a city redraws its wards, it does not patch them)."""

    __tablename__ = "geo_layer"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    features: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)
