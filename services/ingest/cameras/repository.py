"""All SQL of the camera registry: cameras, and the live status rows their owners write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, array, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.cameras.models import CameraRow, CameraStatusRow
from services.ingest.cameras.schemas import CameraFilter
from shared.db import get_existing
from shared.pagination import Ordering, any_of

# "name" orders by the natural sort key ("Tường 2" before "Tường 10"), not by the text's code points.
CAMERA_ORDER = Ordering(
    fields={
        "id": CameraRow.id,
        "name": CameraRow.name_key,
        "category": CameraRow.category,
        "created_at": CameraRow.created_at,
        "updated_at": CameraRow.updated_at,
    },
    key=[CameraRow.id],
)


def effective_status(stale_s: float) -> ColumnElement[str]:
    """SQL for the status a client sees: disabled, waiting for an owner, stale report, or live."""
    stale_before = func.now() - timedelta(seconds=stale_s)
    return case(
        (CameraRow.enabled.is_(False), literal("disabled")),
        (CameraStatusRow.status.is_(None), literal("connecting")),
        (CameraStatusRow.reported_at < stale_before, literal("offline")),
        else_=CameraStatusRow.status,
    )


async def get(session: AsyncSession, camera_id: str) -> CameraRow:
    return await get_existing(
        session, CameraRow, camera_id, missing=f"camera {camera_id!r} not found", camera=camera_id
    )


async def exists(session: AsyncSession, camera_id: str) -> bool:
    return await session.get(CameraRow, camera_id) is not None


async def existing_ids(session: AsyncSession, camera_ids: Sequence[str]) -> set[str]:
    return set(await session.scalars(select(CameraRow.id).where(CameraRow.id.in_(camera_ids))))


async def add(session: AsyncSession, row: CameraRow) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row, ["status"])


async def save(session: AsyncSession) -> None:
    """Write the changes made to loaded rows (the unit of work commits them)."""
    await session.flush()


async def delete(session: AsyncSession, row: CameraRow) -> None:
    await session.delete(row)
    await session.flush()


def _conditions(flt: CameraFilter, stale_s: float) -> list[ColumnElement[bool]]:
    """The filter, over cameras outer-joined with their status."""
    conditions = any_of(
        (CameraRow.category, flt.category), (CameraRow.ward, flt.ward), (effective_status(stale_s), flt.status)
    )
    if flt.tag:
        # Cast so PostgreSQL compares varchar[] with varchar[] (and can use the GIN index).
        conditions.append(CameraRow.tags.overlap(cast(array(list(flt.tag)), ARRAY(String(100)))))
    return conditions


async def list_page(
    session: AsyncSession, flt: CameraFilter, *, sort: str, cursor: str | None, limit: int, stale_s: float
) -> tuple[list[CameraRow], str | None]:
    query = (
        select(CameraRow)
        .outerjoin(CameraStatusRow, CameraStatusRow.camera_id == CameraRow.id)
        .where(*_conditions(flt, stale_s))
    )
    query = CAMERA_ORDER.apply(query, sort=sort, cursor=cursor, limit=limit)
    return CAMERA_ORDER.page((await session.scalars(query)).all(), sort=sort, limit=limit)


async def count_by_category_and_status(
    session: AsyncSession, flt: CameraFilter, stale_s: float
) -> list[tuple[str, str, int]]:
    """(category, status, cameras), counted in the database (a city has thousands)."""
    status = effective_status(stale_s)
    query = (
        select(CameraRow.category, status, func.count())
        .outerjoin(CameraStatusRow, CameraStatusRow.camera_id == CameraRow.id)
        .where(*_conditions(flt, stale_s))
        .group_by(CameraRow.category, status)
    )
    return [(category, state, n) for category, state, n in (await session.execute(query)).all()]


async def enabled(session: AsyncSession) -> list[CameraRow]:
    return list(await session.scalars(select(CameraRow).where(CameraRow.enabled.is_(True))))


async def upsert_status(session: AsyncSession, camera: str, fields: dict[str, Any]) -> None:
    statement = insert(CameraStatusRow).values(camera_id=camera, **fields)
    statement = statement.on_conflict_do_update(index_elements=[CameraStatusRow.camera_id], set_=fields)
    # The camera may have been deleted meanwhile: an existence guard avoids a foreign-key error.
    found = await session.scalar(select(CameraRow.id).where(CameraRow.id == camera))
    if found is not None:
        await session.execute(statement)
