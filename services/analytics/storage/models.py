"""SQLAlchemy models of the analytics schema."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("analytics")


class Rule(Base):
    __tablename__ = "rule"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    camera: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    object_class: Mapped[str] = mapped_column(String(32))
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
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Alert(Base):
    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_camera_started", "camera", "started_at"),)

    # Derived from rule and start frame time, so a replay or a restarted replica finds the same row.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    camera: Mapped[str] = mapped_column(String(128))
    rule_id: Mapped[uuid.UUID] = mapped_column(index=True)
    rule_type: Mapped[str] = mapped_column(String(32), index=True)
    rule_name: Mapped[str] = mapped_column(String(200))
    object_class: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)  # active | ended
    count: Mapped[int] = mapped_column(Integer)
    peak_count: Mapped[int] = mapped_column(Integer)
    update_seq: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    ack_note: Mapped[str | None] = mapped_column(Text)


class AlertEventRow(Base):
    """Every lifecycle message; its primary key is the bus ``Nats-Msg-Id``, so nothing is sent twice."""

    __tablename__ = "alert_event"

    message_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(index=True)
    phase: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    subject: Mapped[str] = mapped_column(String(300))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AlertSnapshot(Base):
    """Latest annotated JPEG of an alert (PostgreSQL bytea: ~50-100 KB each, one row per alert)."""

    __tablename__ = "alert_snapshot"

    alert_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    captured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CameraMask(Base):
    """Motion masks of a camera: polygons (normalised) where movement is ignored (trees, flags, clocks)."""

    __tablename__ = "camera_mask"

    camera: Mapped[str] = mapped_column(String(128), primary_key=True)
    polygons: Mapped[list[list[list[float]]]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CountMinute(Base):
    __tablename__ = "count_minute"

    camera: Mapped[str] = mapped_column(String(128), primary_key=True)
    rule_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    minute: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    object_class: Mapped[str] = mapped_column(String(32))
    samples: Mapped[int] = mapped_column(Integer)
    occupancy_avg: Mapped[float] = mapped_column(Float)
    occupancy_max: Mapped[int] = mapped_column(Integer)
    crossings_in: Mapped[int] = mapped_column(Integer)
    crossings_out: Mapped[int] = mapped_column(Integer)
