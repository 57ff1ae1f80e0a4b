"""Tables of the camera registry: cameras and their live status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from services.ingest.cameras.natural import sort_key
from services.ingest.db import SCHEMA, Base


class CameraRow(Base):
    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # What "sort by name" orders on (byte order): natural and Vietnamese, kept in step with ``name``.
    name_key: Mapped[str] = mapped_column(String(1000, collation="C"), index=True)
    # Secret when it carries credentials: only ever rendered through cameras.urls.mask_url.
    url: Mapped[str] = mapped_column(Text)
    # The camera's low-resolution stream, for wall tiles (live/substream.py); secret like ``url``.
    substream_url: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(Text)
    ward: Mapped[str | None] = mapped_column(String(200), index=True)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sampling_fps: Mapped[float] = mapped_column(Float, default=5.0)
    output_width: Mapped[int] = mapped_column(Integer, default=640)
    notes: Mapped[str | None] = mapped_column(Text)
    # Polygons blacked out in every picture (privacy/masks.py): [[[x, y], ...], ...] in fractions.
    privacy_masks: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    # Bumped on every change that matters to the stream worker, so replicas restart it.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    status: Mapped[CameraStatusRow | None] = relationship(
        back_populates="camera", lazy="selectin", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("name")
    def _keep_name_key(self, _: str, name: str) -> str:
        self.name_key = sort_key(name)
        return name


class CameraStatusRow(Base):
    """Live status written by the replica that owns the camera (or by the API when disabled)."""

    __tablename__ = "camera_status"

    camera_id: Mapped[str] = mapped_column(
        String(64), ForeignKey(f"{SCHEMA}.cameras.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_frame_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fps: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    codec: Mapped[str | None] = mapped_column(String(32))
    reconnects: Mapped[int] = mapped_column(Integer, default=0)
    decode_errors: Mapped[int] = mapped_column(Integer, default=0)
    owner: Mapped[str | None] = mapped_column(String(128))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    camera: Mapped[CameraRow] = relationship(back_populates="status")
