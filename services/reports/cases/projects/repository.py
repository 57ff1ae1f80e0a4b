"""SQL of the site-clearance projects: one, a page of them, their progress reports and linked cases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.models import CLEARANCE_CATEGORY, Case, Category, ClearanceProgress, ClearanceProject
from services.reports.datavalues.catalogue.repository import in_readable
from shared.errors import NotFoundError
from shared.pagination import Ordering

PROJECT_ORDER = Ordering.of(
    ClearanceProject.code,
    ClearanceProject.id,
    ClearanceProject.name,
    ClearanceProject.start_date,
    ClearanceProject.planned_end_date,
    ClearanceProject.created_at,
    key=[ClearanceProject.id],
)


def _readable(readable: frozenset[str] | None) -> ColumnElement[bool]:
    """A project is seen by the department running site clearance (the ``site_clearance`` category's)
    and by the ward it lies in, and by the departments above them."""
    if readable is None:
        return true()
    board = select(Category.department).where(Category.code == CLEARANCE_CATEGORY).scalar_subquery()
    return in_readable(readable, ClearanceProject.ward, board, by="code")


async def project(session: AsyncSession, project_id: int, *, readable: frozenset[str] | None) -> ClearanceProject:
    """The project, if the ``readable`` departments see it (None: any); else as missing."""
    found = await session.scalar(select(ClearanceProject).where(ClearanceProject.id == project_id, _readable(readable)))
    if found is None:
        raise NotFoundError(f"no site-clearance project {project_id}")
    return found


async def code_taken(session: AsyncSession, code: str) -> bool:
    return await session.scalar(select(ClearanceProject.id).where(ClearanceProject.code == code)) is not None


async def page(
    session: AsyncSession,
    *,
    ward: Sequence[str],
    readable: frozenset[str] | None,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[ClearanceProject], str | None]:
    """``ward`` is "any of these"; empty does not filter. Only projects the ``readable`` departments see."""
    query = select(ClearanceProject).where(_readable(readable))
    if ward:
        query = query.where(ClearanceProject.ward.in_(ward))
    query = PROJECT_ORDER.apply(query, sort=sort, cursor=cursor, limit=limit)
    return PROJECT_ORDER.page((await session.scalars(query)).all(), sort=sort, limit=limit)


async def progress_reports(session: AsyncSession, project_id: int) -> list[ClearanceProgress]:
    """Oldest first."""
    query = select(ClearanceProgress).where(ClearanceProgress.project_id == project_id)
    return list((await session.scalars(query.order_by(ClearanceProgress.as_of))).all())


async def linked_case_ids(session: AsyncSession, project_id: int) -> list[int]:
    return list((await session.scalars(select(Case.id).where(Case.project_id == project_id).order_by(Case.id))).all())


async def save_progress(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a progress report, or replace the project's report of the same ``as_of``."""
    stmt = insert(ClearanceProgress).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ClearanceProgress.project_id, ClearanceProgress.as_of],
            set_={k: stmt.excluded[k] for k in values if k not in ("project_id", "as_of")},
        )
    )
