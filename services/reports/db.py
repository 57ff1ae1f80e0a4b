"""The one declarative base of the reports service: every table of the ``reports`` schema maps onto it."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import schema_metadata

SCHEMA = "reports"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)
