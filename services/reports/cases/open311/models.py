"""What Open311 adds to a case it opened (migration ``o3110001_open311``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.reports.db import Base


class Open311Request(Base):
    """A case submitted through Open311: the token that resolves to it, the client application that sent
    it (the name of its api_key, if any) and the service-definition attribute values given."""

    __tablename__ = "open311_request"

    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("city_case.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(Text, unique=True)
    client: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB)
