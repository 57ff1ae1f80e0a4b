"""SQL of the map layers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.geo.models import GeoLayer


async def document(session: AsyncSession, name: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = await session.scalar(select(GeoLayer.document).where(GeoLayer.name == name))
    return found


async def replace(session: AsyncSession, *, name: str, document: dict[str, Any], at: datetime, by: str) -> None:
    values = {"document": document, "features": len(document["features"]), "updated_at": at, "updated_by": by}
    await session.execute(
        insert(GeoLayer).values(name=name, **values).on_conflict_do_update(index_elements=[GeoLayer.name], set_=values)
    )
