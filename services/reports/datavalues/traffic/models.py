"""The 15-minute traffic counts as received from analytics (one row per line rule, period, class and
direction); the daily data values of each road are recomputed from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from services.reports.db import Base


class TrafficCount(Base):
    __tablename__ = "traffic_count"
    __table_args__ = (Index("ix_traffic_count_department_period", "department", "period_start"),)

    rule_id: Mapped[str] = mapped_column(Text, primary_key=True)
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    object_class: Mapped[str] = mapped_column(Text, primary_key=True)
    direction: Mapped[str] = mapped_column(Text, primary_key=True)
    period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    camera: Mapped[str] = mapped_column(Text)
    road: Mapped[str] = mapped_column(Text)
    # The road's department code (``ROAD-<ROAD>``), the org unit its data values belong to.
    department: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
