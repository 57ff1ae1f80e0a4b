"""The ``case_photo`` table (migration ``g0002_case_photo``): photos sent with public reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from services.reports.db import Base


class CasePhoto(Base):
    """A photo as stored after ``photos.clean_photo``: always a JPEG, never the bytes the client sent."""

    __tablename__ = "case_photo"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("city_case.id", ondelete="CASCADE"), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # The reporter ticked "share photo location": the EXIF GPS block was kept.
    location_kept: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
