"""The one declarative base of the ``ingest`` schema."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import schema_metadata

SCHEMA = "ingest"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)
