"""SQL of the public reports: their photos, their public timeline, whether they were rated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.models import CaseEvent, Category, Rating
from services.reports.cases.tracking.models import CasePhoto
from services.reports.cases.tracking.photos import CleanPhoto
from services.reports.db import one_or_404

# What the public sees of a case's history: when it was received and each change of status, never who
# did it or what they wrote (comments and clips are the centre's).
PUBLIC_KINDS = ("created", "transition", "merged")


async def add_photo(session: AsyncSession, *, case_id: int, photo: CleanPhoto, at: datetime) -> int:
    row = CasePhoto(
        case_id=case_id,
        data=photo.data,
        width=photo.width,
        height=photo.height,
        location_kept=photo.location_kept,
        created_at=at,
    )
    session.add(row)
    await session.flush()
    return row.id


async def photo(session: AsyncSession, *, case_id: int, photo_id: int) -> CasePhoto:
    query = select(CasePhoto).where(CasePhoto.id == photo_id, CasePhoto.case_id == case_id)
    return await one_or_404(session, query, f"no photo {photo_id} of case {case_id}")


async def timeline(session: AsyncSession, case_id: int) -> Sequence[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind.in_(PUBLIC_KINDS))
    return (await session.scalars(query.order_by(CaseEvent.at, CaseEvent.id))).all()


async def category_name(session: AsyncSession, code: str) -> str:
    return await session.scalar(select(Category.name).where(Category.code == code)) or code


async def rated(session: AsyncSession, case_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(Rating.case_id == case_id))))
