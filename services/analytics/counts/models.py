"""Per-minute counts of each rule."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.analytics.db import Base


class CountMinute(Base):
    __tablename__ = "count_minute"

    camera: Mapped[str] = mapped_column(String(128), primary_key=True)
    rule_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    minute: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    object_class: Mapped[str] = mapped_column(String(200))
    samples: Mapped[int] = mapped_column(Integer)
    occupancy_avg: Mapped[float] = mapped_column(Float)
    occupancy_max: Mapped[int] = mapped_column(Integer)
    crossings_in: Mapped[int] = mapped_column(Integer)
    crossings_out: Mapped[int] = mapped_column(Integer)


class CrossingSlot(Base):
    """Line crossings of one slot (a minute, or the traffic period when shorter) by class and direction;
    the traffic periods are summed from these."""

    __tablename__ = "crossing_slot"

    camera: Mapped[str] = mapped_column(String(128), primary_key=True)
    rule_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    object_class: Mapped[str] = mapped_column(String(32), primary_key=True)
    direction: Mapped[str] = mapped_column(String(3), primary_key=True)
    crossings: Mapped[int] = mapped_column(Integer)
