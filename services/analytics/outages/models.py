"""Outage state: each camera's latest status and place, incidents, and the cameras of each incident."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.analytics.db import SCHEMA, Base


class OutageCamera(Base):
    """The latest status ingest announced for a camera, with its ward and tags (also what maintenance
    windows on a ward or tag are matched against: analytics has no camera registry of its own)."""

    __tablename__ = "outage_camera"

    camera: Mapped[str] = mapped_column(String(64), primary_key=True)
    ward: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    # When the latest applied status was reported (older redeliveries are ignored).
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Offline since (the report's time); None while it delivers.
    down_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # The open incident it is down in.
    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey(f"{SCHEMA}.outage_incident.id", ondelete="SET NULL"), index=True
    )


class OutageIncident(Base):
    __tablename__ = "outage_incident"
    __table_args__ = (Index("ix_outage_incident_status_started", "status", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # switch:<x>, site:<x>, ward:<x> or "window": what it is named after (grouping.founding_key).
    group_key: Mapped[str] = mapped_column(String(210))
    keys: Mapped[list[str]] = mapped_column(ARRAY(String(210)), default=list)
    status: Mapped[str] = mapped_column(String(16))  # open | ended
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the latest lifecycle step said (grouping.describe).
    detail: Mapped[str] = mapped_column(Text, default="")
    down: Mapped[int] = mapped_column(Integer, default=0)
    peak_down: Mapped[int] = mapped_column(Integer, default=0)
    # Lifecycle steps staged so far (the next message id), when the last was, and whether the cameras
    # changed since (an ``updated`` is due once the rate limit allows).
    seq: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dirty: Mapped[bool] = mapped_column(Boolean, default=False)


class OutageMember(Base):
    __tablename__ = "outage_member"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.outage_incident.id", ondelete="CASCADE"), primary_key=True
    )
    camera: Mapped[str] = mapped_column(String(64), primary_key=True)
    down_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
