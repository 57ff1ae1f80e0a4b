"""Alerts, every lifecycle step of each, and the latest snapshot of each."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.analytics.db import Base


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


class AlertSnapshot(Base):
    """Latest annotated JPEG of an alert (PostgreSQL bytea: ~50-100 KB each, one row per alert)."""

    __tablename__ = "alert_snapshot"

    alert_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    captured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
