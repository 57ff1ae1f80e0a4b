"""The one declarative base of the reports service (every table of the ``reports`` schema maps onto
it), and the query-or-404 lookup and the insert-or-409 its features share."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from shared.db import schema_metadata
from shared.errors import ConflictError, NotFoundError

SCHEMA = "reports"
T = TypeVar("T")


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


async def one_or_404(session: AsyncSession, query: Select[T], missing: str) -> T:
    """The row ``query`` selects, or ``NotFoundError(missing)``."""
    found = await session.scalar(query)
    if found is None:
        raise NotFoundError(missing)
    return found


async def add_unique(session: AsyncSession, row: object, exists: str) -> None:
    """Insert ``row`` now; a unique-key clash becomes ``ConflictError(exists)``."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise ConflictError(exists) from None
