"""The one declarative base of the ``ingest`` schema, and the lookup every feature's repository shares."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from shared.db import schema_metadata
from shared.errors import NotFoundError

SCHEMA = "ingest"

RowT = TypeVar("RowT", bound="Base")


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


async def get_existing(session: AsyncSession, model: type[RowT], key: Any, *, what: str, **context: Any) -> RowT:
    """The row of ``model`` with primary key ``key``, or ``NotFoundError`` naming it (``what`` + key)."""
    row = await session.get(model, key)
    if row is None:
        # Slug ids are quoted, as the registry has always shown them; UUIDs read better bare.
        shown = repr(key) if isinstance(key, str) else str(key)
        raise NotFoundError(f"{what} {shown} not found", **context)
    return row
