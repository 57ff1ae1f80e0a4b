"""SQL of the directives: one (locked for a change), a page of them, their departments and progress
reports and attachments, the overdue ones, and the cases, projects and indicators a directive may link to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from services.reports.cases.models import (
    Case,
    ClearanceProject,
    Directive,
    DirectiveAttachment,
    DirectiveDepartment,
    DirectiveProgress,
)
from services.reports.datavalues.catalogue.repository import in_readable
from services.reports.db import one_or_404
from shared.pagination import Ordering

DIRECTIVE_ORDER = Ordering.of(Directive.deadline, Directive.id, Directive.issued_at, key=[Directive.id])


def _share_readable(readable: frozenset[str] | None) -> ColumnElement[bool]:
    return in_readable(readable, DirectiveDepartment.department, by="code")


def _addressed(readable: frozenset[str] | None) -> ColumnElement[bool]:
    """A directive is seen by the departments it is addressed to (and those above them), whole."""
    if readable is None:
        return true()
    return Directive.id.in_(select(DirectiveDepartment.directive_id).where(_share_readable(readable)))


async def directive(
    session: AsyncSession, directive_id: int, *, readable: frozenset[str] | None, lock: bool = False
) -> Directive:
    """The directive, if addressed to one of the ``readable`` departments (None: any); else as missing."""
    query = select(Directive).where(Directive.id == directive_id, _addressed(readable))
    if lock:
        query = query.with_for_update()
    return await one_or_404(session, query, f"no directive {directive_id}")


async def departments(session: AsyncSession, ids: list[int]) -> dict[int, list[DirectiveDepartment]]:
    """The departments each directive is addressed to, by directive id."""
    rows = await session.scalars(
        select(DirectiveDepartment)
        .where(DirectiveDepartment.directive_id.in_(ids))
        .order_by(DirectiveDepartment.department)
    )
    out: dict[int, list[DirectiveDepartment]] = defaultdict(list)
    for row in rows:
        out[row.directive_id].append(row)
    return out


async def progress(session: AsyncSession, directive_id: int) -> list[DirectiveProgress]:
    return list(
        (
            await session.scalars(
                select(DirectiveProgress)
                .where(DirectiveProgress.directive_id == directive_id)
                .order_by(DirectiveProgress.id)
            )
        ).all()
    )


def _has_status(status: str, today: date) -> ColumnElement[bool]:
    """The status a client sees: open and in-progress directives past their deadline show as overdue."""
    if status == "overdue":
        return and_(Directive.status != "done", Directive.deadline < today)
    if status == "done":
        return Directive.status == "done"
    return and_(Directive.status == status, Directive.deadline >= today)


async def page(
    session: AsyncSession,
    *,
    department: Sequence[str],
    status: Sequence[str],
    readable: frozenset[str] | None,
    today: date,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[Directive], str | None]:
    """Each filter is "any of these"; an empty one does not filter. Only directives addressed to the
    ``readable`` departments."""
    query = select(Directive).where(_addressed(readable))
    if department:
        addressed = select(DirectiveDepartment.directive_id).where(DirectiveDepartment.department.in_(department))
        query = query.where(Directive.id.in_(addressed))
    if status:
        query = query.where(or_(*(_has_status(x, today) for x in status)))
    query = DIRECTIVE_ORDER.apply(query, sort=sort, cursor=cursor, limit=limit)
    return DIRECTIVE_ORDER.page((await session.scalars(query)).all(), sort=sort, limit=limit)


async def overdue(
    session: AsyncSession, today: date, *, readable: frozenset[str] | None
) -> Sequence[tuple[str, Directive]]:
    """(department, directive) past its deadline and not reported done by that department, of the
    ``readable`` departments."""
    rows = await session.execute(
        select(DirectiveDepartment.department, Directive)
        .join(Directive, Directive.id == DirectiveDepartment.directive_id)
        .where(DirectiveDepartment.status != "done", Directive.deadline < today, _share_readable(readable))
        .order_by(DirectiveDepartment.department, Directive.deadline)
    )
    return [(str(department), d) for department, d in rows.all()]


async def open_and_overdue(session: AsyncSession, today: date, *, readable: frozenset[str] | None) -> tuple[int, int]:
    """How many directives addressed to the ``readable`` departments are not done, and how many of
    those are past their deadline."""
    open_count, late = (
        await session.execute(
            select(func.count(), func.count().filter(Directive.deadline < today)).where(
                Directive.status != "done", _addressed(readable)
            )
        )
    ).one()
    return int(open_count), int(late)


async def overdue_by_department(
    session: AsyncSession, today: date, *, readable: frozenset[str] | None
) -> dict[str, int]:
    rows = await session.execute(
        select(DirectiveDepartment.department, func.count())
        .join(Directive, Directive.id == DirectiveDepartment.directive_id)
        .where(DirectiveDepartment.status != "done", Directive.deadline < today, _share_readable(readable))
        .group_by(DirectiveDepartment.department)
    )
    return {str(k): int(n) for k, n in rows.all()}


async def existing_case_ids(session: AsyncSession, ids: list[int]) -> set[int]:
    return set((await session.scalars(select(Case.id).where(Case.id.in_(ids)))).all())


async def existing_project_ids(session: AsyncSession, ids: list[int]) -> set[int]:
    return set((await session.scalars(select(ClearanceProject.id).where(ClearanceProject.id.in_(ids)))).all())


async def existing_indicator_codes(session: AsyncSession, codes: list[str]) -> set[str]:
    # The indicator catalogue belongs to the department-data part of this service: read only.
    rows = await session.execute(text("SELECT code FROM reports.indicator WHERE code = ANY(:codes)"), {"codes": codes})
    return {str(r[0]) for r in rows}


async def attachments(session: AsyncSession, directive_id: int) -> list[DirectiveAttachment]:
    """The directive's attachments, oldest first, without their contents."""
    rows = await session.scalars(
        select(DirectiveAttachment)
        .where(DirectiveAttachment.directive_id == directive_id)
        .order_by(DirectiveAttachment.id)
    )
    return list(rows)


async def attachment(session: AsyncSession, directive_id: int, attachment_id: int) -> DirectiveAttachment:
    """One attachment with its contents."""
    query = (
        select(DirectiveAttachment)
        .where(DirectiveAttachment.directive_id == directive_id, DirectiveAttachment.id == attachment_id)
        .options(undefer(DirectiveAttachment.data))
    )
    return await one_or_404(session, query, f"no attachment {attachment_id} on directive {directive_id}")
