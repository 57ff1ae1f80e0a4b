"""Leadership directives: issued to departments with a deadline; departments report progress."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role
from services.reports.cases.calendar import local_date
from services.reports.cases.directives.schemas import (
    DirectiveDepartmentOut,
    DirectiveIn,
    DirectiveOut,
    DirectivesSummaryOut,
    ProgressIn,
    ProgressOut,
)
from services.reports.cases.events import stage
from services.reports.cases.models import Case, ClearanceProject, Directive, DirectiveDepartment, DirectiveProgress
from services.reports.db import one_or_404
from shared.errors import ConflictError, ForbiddenError, InvalidInputError
from shared.identity import Caller
from shared.messages import DirectiveChanged
from shared.pagination import Ordering, Page

log = logging.getLogger("cityops.reports.cases")


def _late(deadline: date, status: str, today: date) -> bool:
    return status != "done" and deadline < today


def event(d: Directive, departments: list[str], name: str, by: str | None, at: datetime) -> DirectiveChanged:
    return DirectiveChanged(directive_id=str(d.id), event=name, status=d.status, departments=departments, at=at, by=by)


def event_from_out(d: DirectiveOut, name: str, by: str | None, at: datetime) -> DirectiveChanged:
    return DirectiveChanged(
        directive_id=str(d.id),
        event=name,
        status=d.status,
        departments=[x.department for x in d.departments],
        at=at,
        by=by,
    )


async def _departments(session: AsyncSession, ids: list[int]) -> dict[int, list[DirectiveDepartment]]:
    rows = await session.scalars(
        select(DirectiveDepartment)
        .where(DirectiveDepartment.directive_id.in_(ids))
        .order_by(DirectiveDepartment.department)
    )
    out: dict[int, list[DirectiveDepartment]] = defaultdict(list)
    for row in rows:
        out[row.directive_id].append(row)
    return out


def to_out(
    d: Directive, deps: list[DirectiveDepartment], today: date, progress: list[DirectiveProgress] | None = None
) -> DirectiveOut:
    return DirectiveOut(
        id=d.id,
        title=d.title,
        body=d.body,
        issued_by=d.issued_by,
        issued_at=d.issued_at,
        deadline=d.deadline,
        priority=d.priority,
        status="overdue" if _late(d.deadline, d.status, today) else d.status,
        done_at=d.done_at,
        case_ids=list(d.case_ids),
        indicator_codes=list(d.indicator_codes),
        project_ids=list(d.project_ids),
        departments=[
            DirectiveDepartmentOut(
                department=x.department,
                status=x.status,
                percent=x.percent,
                done_at=x.done_at,
                overdue=_late(d.deadline, x.status, today),
            )
            for x in deps
        ],
        progress=None
        if progress is None
        else [
            ProgressOut(
                department=p.department, percent=p.percent, done=p.done, note=p.note, reported_by=p.reported_by, at=p.at
            )
            for p in progress
        ],
    )


async def _check_links(session: AsyncSession, body: DirectiveIn) -> None:
    if body.case_ids:
        found = set((await session.scalars(select(Case.id).where(Case.id.in_(body.case_ids)))).all())
        if missing := sorted(set(body.case_ids) - found):
            raise InvalidInputError(f"unknown case(s): {missing}", field="case_ids")
    if body.project_ids:
        found = set(
            (await session.scalars(select(ClearanceProject.id).where(ClearanceProject.id.in_(body.project_ids)))).all()
        )
        if missing := sorted(set(body.project_ids) - found):
            raise InvalidInputError(f"unknown project(s): {missing}", field="project_ids")
    if body.indicator_codes:
        # The indicator catalogue belongs to the department-data part of this service: read only.
        rows = await session.execute(
            text("SELECT code FROM reports.indicator WHERE code = ANY(:codes)"), {"codes": body.indicator_codes}
        )
        if unknown := sorted(set(body.indicator_codes) - {str(r[0]) for r in rows}):
            raise InvalidInputError(f"unknown indicator(s): {unknown}", field="indicator_codes")


async def issue(*, session: AsyncSession, directive_in: DirectiveIn, caller: Caller, now: datetime) -> DirectiveOut:
    """A leader's directive to departments; its ``issued`` event goes out with it."""
    require_role(caller, "leader", "admin")
    body = directive_in
    if body.deadline < local_date(now):
        raise InvalidInputError("the deadline is in the past", field="deadline")
    await _check_links(session, body)
    departments = sorted(set(body.departments))
    d = Directive(
        title=body.title,
        body=body.body,
        issued_by=caller.name,
        issued_at=now,
        deadline=body.deadline,
        priority=body.priority,
        status="open",
        case_ids=body.case_ids,
        indicator_codes=body.indicator_codes,
        project_ids=body.project_ids,
    )
    session.add(d)
    await session.flush()
    deps = [DirectiveDepartment(directive_id=d.id, department=x, status="open", percent=0) for x in departments]
    session.add_all(deps)
    log.info("directive.issued", extra={"directive_id": d.id, "departments": departments, "by": caller.name})
    out = to_out(d, deps, local_date(now))
    stage(session, [event_from_out(out, "issued", caller.name, now)])
    return out


async def _directive(session: AsyncSession, directive_id: int, *, lock: bool = False) -> Directive:
    query = select(Directive).where(Directive.id == directive_id)
    if lock:
        query = query.with_for_update()
    return await one_or_404(session, query, f"no directive {directive_id}")


async def get(*, session: AsyncSession, directive_id: int, now: datetime) -> DirectiveOut:
    d = await _directive(session, directive_id)
    progress = list(
        (
            await session.scalars(
                select(DirectiveProgress).where(DirectiveProgress.directive_id == d.id).order_by(DirectiveProgress.id)
            )
        ).all()
    )
    return to_out(d, (await _departments(session, [d.id]))[d.id], local_date(now), progress)


DIRECTIVE_ORDER = Ordering(
    fields={"deadline": Directive.deadline, "id": Directive.id, "issued_at": Directive.issued_at},
    key=[Directive.id],
)


def _has_status(status: str, today: date) -> ColumnElement[bool]:
    """The status a client sees: open and in-progress directives past their deadline show as overdue."""
    if status == "overdue":
        return and_(Directive.status != "done", Directive.deadline < today)
    if status == "done":
        return Directive.status == "done"
    return and_(Directive.status == status, Directive.deadline >= today)


async def list_directives(
    *,
    session: AsyncSession,
    department: Sequence[str],
    status: Sequence[str],
    now: datetime,
    sort: str,
    cursor: str | None,
    limit: int,
) -> Page[DirectiveOut]:
    """Each filter is "any of these"; an empty one does not filter."""
    today = local_date(now)
    query = select(Directive)
    if department:
        addressed = select(DirectiveDepartment.directive_id).where(DirectiveDepartment.department.in_(department))
        query = query.where(Directive.id.in_(addressed))
    if status:
        query = query.where(or_(*(_has_status(x, today) for x in status)))
    query = DIRECTIVE_ORDER.apply(query, sort=sort, cursor=cursor, limit=limit)
    rows, next_cursor = DIRECTIVE_ORDER.page((await session.scalars(query)).all(), sort=sort, limit=limit)
    deps = await _departments(session, [d.id for d in rows])
    return Page[DirectiveOut](items=[to_out(d, deps[d.id], today) for d in rows], next_cursor=next_cursor)


def _reporting_department(d_deps: list[DirectiveDepartment], body: ProgressIn, caller: Caller) -> DirectiveDepartment:
    mine = [x for x in d_deps if caller.may_write(x.department)]
    if body.department is not None:
        mine = [x for x in mine if x.department == body.department]
        if not mine:
            if all(x.department != body.department for x in d_deps):
                raise InvalidInputError(f"the directive is not addressed to {body.department}", field="department")
            raise ForbiddenError(f"you may not report for {body.department}")
    if not mine:
        raise ForbiddenError("the directive is not addressed to your department")
    if len(mine) > 1:
        raise InvalidInputError("several of your departments are addressed: name one", field="department")
    return mine[0]


async def report_progress(
    *, session: AsyncSession, directive_id: int, progress_in: ProgressIn, caller: Caller, now: datetime
) -> DirectiveOut:
    """A department's progress (or done); the directive is done when every department is."""
    body = progress_in
    if not caller.roles & {"department", "admin"}:
        raise ForbiddenError("progress is reported by the addressed departments")
    d = await _directive(session, directive_id, lock=True)
    deps = (await _departments(session, [d.id]))[d.id]
    dep = _reporting_department(deps, body, caller)
    if dep.status == "done":
        raise ConflictError(f"{dep.department} has already reported this directive done")
    dep.percent = 100 if body.done else body.percent
    dep.status = "done" if body.done else "in_progress"
    dep.done_at = now if body.done else None
    session.add(
        DirectiveProgress(
            directive_id=d.id,
            department=dep.department,
            percent=dep.percent,
            done=body.done,
            note=body.note,
            reported_by=caller.name,
            at=now,
        )
    )
    if all(x.status == "done" for x in deps):
        d.status, d.done_at = "done", now
    else:
        d.status = "in_progress"
    log.info(
        "directive.progress",
        extra={"directive_id": d.id, "department": dep.department, "percent": dep.percent, "by": caller.name},
    )
    await session.flush()
    out = await get(session=session, directive_id=d.id, now=now)
    stage(
        session,
        [event(d, [x.department for x in deps], "done" if d.status == "done" else "progress", caller.name, now)],
    )
    return out


async def overdue_by_department(*, session: AsyncSession, now: datetime) -> dict[str, list[DirectiveOut]]:
    """Each department's directives past their deadline that it has not reported done."""
    today = local_date(now)
    rows = (
        await session.execute(
            select(DirectiveDepartment.department, Directive)
            .join(Directive, Directive.id == DirectiveDepartment.directive_id)
            .where(DirectiveDepartment.status != "done", Directive.deadline < today)
            .order_by(DirectiveDepartment.department, Directive.deadline)
        )
    ).all()
    deps = await _departments(session, list({d.id for _, d in rows}))
    out: dict[str, list[DirectiveOut]] = defaultdict(list)
    for department, d in rows:
        out[department].append(to_out(d, deps[d.id], today))
    return dict(out)


async def summary(*, session: AsyncSession, now: datetime) -> DirectivesSummaryOut:
    today = local_date(now)
    open_count, overdue = (
        await session.execute(
            select(func.count(), func.count().filter(Directive.deadline < today)).where(Directive.status != "done")
        )
    ).one()
    late = (
        await session.execute(
            select(DirectiveDepartment.department, func.count())
            .join(Directive, Directive.id == DirectiveDepartment.directive_id)
            .where(DirectiveDepartment.status != "done", Directive.deadline < today)
            .group_by(DirectiveDepartment.department)
        )
    ).all()
    return DirectivesSummaryOut(
        open=open_count, overdue=overdue, overdue_by_department={str(k): int(n) for k, n in late}
    )
