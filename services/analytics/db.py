"""The one declarative base of the analytics schema; each feature maps its tables on it."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("analytics")
