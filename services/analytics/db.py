"""The one declarative base of the analytics schema (each feature maps its tables on it) and its outbox."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import schema_metadata
from shared.outbox import OutboxRow

SCHEMA = "analytics"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


class OutboxEvent(OutboxRow, Base):
    """Events committed with the change they announce, relayed to JetStream by ``shared.outbox``."""

    __tablename__ = "outbox"
