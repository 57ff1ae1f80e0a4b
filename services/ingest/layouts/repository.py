"""All SQL of camera groups and display walls."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.layouts.models import GroupRow, WallRow
from shared.db import get_existing


async def get_group(session: AsyncSession, group_id: str) -> GroupRow:
    return await get_existing(session, GroupRow, group_id, missing=f"group {group_id!r} not found", group=group_id)


async def get_wall(session: AsyncSession, wall_id: str) -> WallRow:
    return await get_existing(session, WallRow, wall_id, missing=f"wall {wall_id!r} not found", wall=wall_id)


async def exists(session: AsyncSession, model: type[GroupRow] | type[WallRow], key: str) -> bool:
    return await session.get(model, key) is not None


async def list_groups(session: AsyncSession) -> list[GroupRow]:
    return list(await session.scalars(select(GroupRow).order_by(GroupRow.id)))


async def list_walls(session: AsyncSession) -> list[WallRow]:
    return list(await session.scalars(select(WallRow).order_by(WallRow.id)))


async def add(session: AsyncSession, row: GroupRow | WallRow) -> None:
    session.add(row)
    await session.flush()


async def save(session: AsyncSession) -> None:
    """Write the changes made to loaded rows (the unit of work commits them)."""
    await session.flush()


async def delete(session: AsyncSession, row: GroupRow | WallRow) -> None:
    await session.delete(row)
