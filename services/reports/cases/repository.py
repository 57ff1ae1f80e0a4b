"""SQL of the cases: loading one (locked for a change), its timeline, listing and counting them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.models import Case, CaseEvent, Category, ClearanceProject, Rating
from services.reports.cases.workflow import OPEN_STATUSES
from services.reports.datavalues.catalogue.repository import in_readable
from services.reports.db import one_or_404
from shared.pagination import Ordering, any_of


def _readable(readable: frozenset[str] | None) -> ColumnElement[bool]:
    """A case belongs to the department it is assigned to; one assigned to none is the centre's."""
    return in_readable(readable, Case.department, by="code")


async def get_case(session: AsyncSession, case_id: int, *, readable: frozenset[str] | None, lock: bool = False) -> Case:
    """The case, if it is of the ``readable`` departments (None: any); another's is as missing."""
    query = select(Case).where(Case.id == case_id, _readable(readable))
    if lock:
        query = query.with_for_update()
    return await one_or_404(session, query, f"no case {case_id}")


async def category(session: AsyncSession, code: str) -> Category | None:
    return await session.get(Category, code)


async def project_exists(session: AsyncSession, project_id: int) -> bool:
    return await session.get(ClearanceProject, project_id) is not None


async def timeline(session: AsyncSession, case_id: int) -> Sequence[CaseEvent]:
    return (await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))).all()


async def has_clips(session: AsyncSession, case_id: int) -> bool:
    """Whether footage was ever attached to the case (ingest holds it for the case)."""
    found = select(CaseEvent.id).where(CaseEvent.case_id == case_id, CaseEvent.kind == "clip").limit(1)
    return (await session.scalar(found)) is not None


async def latest_rating(session: AsyncSession, case_id: int) -> int | None:
    return await session.scalar(
        select(Rating.rating).where(Rating.case_id == case_id).order_by(Rating.id.desc()).limit(1)
    )


async def cases_by_id(session: AsyncSession, ids: Sequence[int], *, readable: frozenset[str] | None) -> dict[int, Case]:
    """Those of ``ids`` of the ``readable`` departments."""
    query = select(Case).where(Case.id.in_(ids), _readable(readable))
    return {c.id: c for c in (await session.scalars(query)).all()}


@dataclass(frozen=True)
class CaseFilter:
    """Each list is "any of these"; an empty one does not filter."""

    status: Sequence[str] = ()
    category: Sequence[str] = ()
    ward: Sequence[str] = ()
    department: Sequence[str] = ()
    source: Sequence[str] = ()
    overdue: bool | None = None


# No created_at: received_at is when a case came in. priority is left out on purpose: it is text,
# and its alphabetical order (high, low, normal, urgent) is not its urgency.
CASE_ORDER = Ordering.of(Case.id, Case.received_at, Case.updated_at, Case.due_at, key=[Case.id])


def _conditions(f: CaseFilter, now: datetime) -> list[ColumnElement[bool]]:
    conditions = any_of(
        (Case.status, f.status),
        (Case.category, f.category),
        (Case.ward, f.ward),
        (Case.department, f.department),
        (Case.source, f.source),
    )
    late = Case.status.in_(OPEN_STATUSES) & (Case.due_at < now)
    if f.overdue is True:
        conditions.append(late)
    elif f.overdue is False:
        conditions.append(~late)
    return conditions


async def page(
    session: AsyncSession,
    f: CaseFilter,
    now: datetime,
    *,
    readable: frozenset[str] | None,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[Case], str | None]:
    query = select(Case).where(*_conditions(f, now), _readable(readable))
    query = CASE_ORDER.apply(query, sort=sort, cursor=cursor, limit=limit)
    return CASE_ORDER.page((await session.scalars(query)).all(), sort=sort, limit=limit)


async def open_by_category(
    session: AsyncSession, now: datetime, *, readable: frozenset[str] | None
) -> dict[str, dict[str, Any]]:
    """Open and overdue cases of the ``readable`` departments per category."""
    rows = (
        await session.execute(
            select(
                Case.category,
                func.count(),
                func.count().filter(Case.due_at < now),
            )
            .where(Case.status.in_(OPEN_STATUSES), _readable(readable))
            .group_by(Case.category)
        )
    ).all()
    return {cat: {"open": n, "overdue": late} for cat, n, late in rows}


async def received_by_category_and_status(
    session: AsyncSession, since: datetime, until: datetime, *, readable: frozenset[str] | None
) -> list[tuple[str, str, int]]:
    """Cases received in [since, until) of the ``readable`` departments: (category, status, count)."""
    rows = (
        await session.execute(
            select(Case.category, Case.status, func.count())
            .where(Case.received_at >= since, Case.received_at < until, _readable(readable))
            .group_by(Case.category, Case.status)
        )
    ).all()
    return [(cat, status, int(n)) for cat, status, n in rows]


async def overdue_by_department(
    session: AsyncSession, at: datetime, *, readable: frozenset[str] | None
) -> list[tuple[str | None, int, int]]:
    """Per department: cases open at ``at`` as far as today's statuses tell, and those of them past due."""
    rows = (
        await session.execute(
            select(Case.department, func.count(), func.count().filter(Case.due_at < at))
            .where(Case.status.in_(OPEN_STATUSES), Case.received_at < at, _readable(readable))
            .group_by(Case.department)
        )
    ).all()
    return [(dept, int(n), int(late)) for dept, n, late in rows]
