"""The one declarative base of the gateway schema (each feature's models.py maps its tables on it) and
the keyset page query every list shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from shared.db import schema_metadata
from shared.pagination import Ordering


class Base(DeclarativeBase):
    metadata = schema_metadata("gateway")


async def fetch_page(
    session: AsyncSession, stmt: Select[Any], ordering: Ordering, *, sort: str, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One keyset page of ``stmt``'s rows in ``ordering`` and the cursor of the next page."""
    rows = (await session.scalars(ordering.apply(stmt, sort=sort, cursor=cursor, limit=limit))).all()
    return ordering.page(rows, sort=sort, limit=limit)
