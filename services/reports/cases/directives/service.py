"""Leadership directives: issued to departments with a deadline; departments report progress."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role
from services.reports.cases.calendar import local_date
from services.reports.cases.directives import repository
from services.reports.cases.directives.schemas import (
    AttachmentOut,
    DirectiveDepartmentOut,
    DirectiveIn,
    DirectiveOut,
    DirectivesSummaryOut,
    ProgressIn,
    ProgressOut,
)
from services.reports.cases.events import stage
from services.reports.cases.models import Directive, DirectiveAttachment, DirectiveDepartment, DirectiveProgress
from services.reports.mapping import out_of
from shared.errors import ConflictError, ForbiddenError, InvalidInputError
from shared.identity import Caller
from shared.messages import DirectiveChanged
from shared.pagination import Page
from shared.scoping import readable_departments

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


def to_out(
    d: Directive, deps: list[DirectiveDepartment], today: date, progress: list[DirectiveProgress] | None = None
) -> DirectiveOut:
    return out_of(
        DirectiveOut,
        d,
        status="overdue" if _late(d.deadline, d.status, today) else d.status,
        departments=[out_of(DirectiveDepartmentOut, x, overdue=_late(d.deadline, x.status, today)) for x in deps],
        progress=None if progress is None else [ProgressOut.model_validate(p) for p in progress],
    )


async def _check_links(session: AsyncSession, body: DirectiveIn) -> None:
    if body.case_ids:
        found = await repository.existing_case_ids(session, body.case_ids)
        if missing := sorted(set(body.case_ids) - found):
            raise InvalidInputError(f"unknown case(s): {missing}", field="case_ids")
    if body.project_ids:
        found = await repository.existing_project_ids(session, body.project_ids)
        if missing := sorted(set(body.project_ids) - found):
            raise InvalidInputError(f"unknown project(s): {missing}", field="project_ids")
    if body.indicator_codes:
        known = await repository.existing_indicator_codes(session, body.indicator_codes)
        if unknown := sorted(set(body.indicator_codes) - known):
            raise InvalidInputError(f"unknown indicator(s): {unknown}", field="indicator_codes")


async def issue(*, session: AsyncSession, directive_in: DirectiveIn, caller: Caller, now: datetime) -> DirectiveOut:
    """A leader's directive to departments; its ``issued`` event goes out with it."""
    require_role(caller, "leader", "admin")
    body = directive_in
    if body.deadline < local_date(now):
        raise InvalidInputError("the deadline is in the past", field="deadline")
    await _check_links(session, body)
    departments = sorted(set(body.departments))
    d = Directive(**body.model_dump(exclude={"departments"}), issued_by=caller.name, issued_at=now, status="open")
    session.add(d)
    await session.flush()
    deps = [DirectiveDepartment(directive_id=d.id, department=x, status="open", percent=0) for x in departments]
    session.add_all(deps)
    log.info("directive.issued", extra={"directive_id": d.id, "departments": departments, "by": caller.name})
    out = to_out(d, deps, local_date(now))
    stage(session, [event_from_out(out, "issued", caller.name, now)])
    return out


async def get(*, session: AsyncSession, directive_id: int, caller: Caller, now: datetime) -> DirectiveOut:
    d = await repository.directive(session, directive_id, readable=readable_departments(caller))
    progress = await repository.progress(session, d.id)
    return to_out(d, (await repository.departments(session, [d.id]))[d.id], local_date(now), progress)


async def list_directives(
    *,
    session: AsyncSession,
    department: Sequence[str],
    status: Sequence[str],
    caller: Caller,
    now: datetime,
    sort: str,
    cursor: str | None,
    limit: int,
) -> Page[DirectiveOut]:
    """Each filter is "any of these"; an empty one does not filter. Only directives addressed to a
    department the caller reads."""
    today = local_date(now)
    rows, next_cursor = await repository.page(
        session,
        department=department,
        status=status,
        readable=readable_departments(caller),
        today=today,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    deps = await repository.departments(session, [d.id for d in rows])
    return Page[DirectiveOut](items=[to_out(d, deps[d.id], today) for d in rows], next_cursor=next_cursor)


def _answering(caller: Caller) -> None:
    if not caller.roles & {"department", "admin"}:
        raise ForbiddenError("progress is reported by the addressed departments")


def _reporting_department(
    d_deps: list[DirectiveDepartment], department: str | None, caller: Caller
) -> DirectiveDepartment:
    mine = [x for x in d_deps if caller.may_write(x.department)]
    if department is not None:
        mine = [x for x in mine if x.department == department]
        if not mine:
            if all(x.department != department for x in d_deps):
                raise InvalidInputError(f"the directive is not addressed to {department}", field="department")
            raise ForbiddenError(f"you may not report for {department}")
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
    _answering(caller)
    d = await repository.directive(session, directive_id, readable=readable_departments(caller), lock=True)
    deps = (await repository.departments(session, [d.id]))[d.id]
    dep = _reporting_department(deps, body.department, caller)
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
    out = await get(session=session, directive_id=d.id, caller=caller, now=now)
    stage(
        session,
        [event(d, [x.department for x in deps], "done" if d.status == "done" else "progress", caller.name, now)],
    )
    return out


async def attach(
    *,
    session: AsyncSession,
    directive_id: int,
    department: str | None,
    filename: str,
    content_type: str,
    data: bytes,
    caller: Caller,
    now: datetime,
) -> AttachmentOut:
    """A file attached to an addressed department's answer (by whoever may report its progress)."""
    _answering(caller)
    if not data:
        raise InvalidInputError("the file is empty", field="file")
    d = await repository.directive(session, directive_id, readable=readable_departments(caller))
    dep = _reporting_department((await repository.departments(session, [d.id]))[d.id], department, caller)
    a = DirectiveAttachment(
        directive_id=d.id,
        department=dep.department,
        filename=filename,
        content_type=content_type,
        size=len(data),
        data=data,
        uploaded_by=caller.name,
        at=now,
    )
    session.add(a)
    await session.flush()
    log.info(
        "directive.attachment",
        extra={"directive_id": d.id, "department": dep.department, "bytes": len(data), "by": caller.name},
    )
    return AttachmentOut.model_validate(a)


async def attachments(*, session: AsyncSession, directive_id: int, caller: Caller) -> list[AttachmentOut]:
    d = await repository.directive(session, directive_id, readable=readable_departments(caller))
    return [AttachmentOut.model_validate(a) for a in await repository.attachments(session, d.id)]


async def attachment(
    *, session: AsyncSession, directive_id: int, attachment_id: int, caller: Caller
) -> DirectiveAttachment:
    d = await repository.directive(session, directive_id, readable=readable_departments(caller))
    return await repository.attachment(session, d.id, attachment_id)


async def overdue_by_department(
    *, session: AsyncSession, caller: Caller, now: datetime
) -> dict[str, list[DirectiveOut]]:
    """Each department's (of those the caller reads) directives past their deadline that it has not
    reported done."""
    today = local_date(now)
    rows = await repository.overdue(session, today, readable=readable_departments(caller))
    deps = await repository.departments(session, list({d.id for _, d in rows}))
    out: dict[str, list[DirectiveOut]] = defaultdict(list)
    for department, d in rows:
        out[department].append(to_out(d, deps[d.id], today))
    return dict(out)


async def summary(*, session: AsyncSession, caller: Caller, now: datetime) -> DirectivesSummaryOut:
    today = local_date(now)
    readable = readable_departments(caller)
    open_count, overdue = await repository.open_and_overdue(session, today, readable=readable)
    by_department = await repository.overdue_by_department(session, today, readable=readable)
    return DirectivesSummaryOut(open=open_count, overdue=overdue, overdue_by_department=by_department)
