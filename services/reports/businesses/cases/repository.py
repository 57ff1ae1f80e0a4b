"""SQL of businesses in city cases: the link of a case to a business, the cases of a business."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses.models import BusinessCase
from services.reports.cases.models import Case
from shared.db import get_existing


async def case(session: AsyncSession, case_id: int) -> Case:
    return await get_existing(session, Case, case_id, missing=f"case {case_id} not found")


async def save_link(session: AsyncSession, values: dict[str, Any]) -> None:
    """Link a case to a business, replacing the case's earlier link."""
    stmt = insert(BusinessCase).values(**values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["case_id"], set_=values))


async def link(session: AsyncSession, case_id: int) -> BusinessCase | None:
    return await session.get(BusinessCase, case_id)


async def linked_cases(session: AsyncSession, business_id: uuid.UUID) -> Sequence[Any]:
    """The cases of a business, newest first: case_id, kind, category, title, status, received_at, due_at."""
    rows = await session.execute(
        select(
            BusinessCase.case_id,
            BusinessCase.kind,
            Case.category,
            Case.title,
            Case.status,
            Case.received_at,
            Case.due_at,
        )
        .join(Case, Case.id == BusinessCase.case_id)
        .where(BusinessCase.business_id == business_id)
        .order_by(Case.received_at.desc())
    )
    return rows.all()
