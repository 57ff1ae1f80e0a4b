"""The one declarative base of the analytics schema (each feature maps its tables on it) and its outbox."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from shared.db import schema_metadata
from shared.errors import NotFoundError
from shared.outbox import OutboxRow

RowT = TypeVar("RowT", bound="Base")


class Base(DeclarativeBase):
    metadata = schema_metadata("analytics")


class OutboxEvent(OutboxRow, Base):
    """Events committed with the change they announce, relayed to JetStream by ``shared.outbox``."""

    __tablename__ = "outbox"


async def get_existing(session: AsyncSession, model: type[RowT], key: uuid.UUID, *, what: str) -> RowT:
    """The row of ``model`` with primary key ``key``, or ``NotFoundError`` naming it."""
    found = await session.get(model, key)
    if found is None:
        raise NotFoundError(f"{what} {key} not found")
    return found
