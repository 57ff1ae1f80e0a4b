"""Reporting completeness and timeliness per form, department and period; overdue reports.

A report is due ``deadline_days`` after its period ends, by the end of that day in Vietnam time;
it counts as submitted once every indicator of the form has a value (or when registered explicitly).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.completeness import repository
from services.reports.datavalues.periods import VIETNAM, Period, PeriodType, period_param, period_range
from shared.errors import ForbiddenError, InvalidInputError, NotFoundError
from shared.identity import Caller
from shared.scoping import readable_departments


@dataclass(frozen=True)
class FormInfo:
    id: int
    code: str
    period_type: PeriodType
    deadline_days: int


@dataclass(frozen=True)
class Assigned:
    id: int
    code: str
    valid_from: date | None
    valid_to: date | None

    def active_during(self, p: Period) -> bool:
        return (self.valid_from is None or p.end >= self.valid_from) and (
            self.valid_to is None or p.start <= self.valid_to
        )


async def _forms(session: AsyncSession, code: str | None) -> list[FormInfo]:
    rows = await repository.forms(session, code)
    forms = [FormInfo(r.id, r.code, PeriodType(r.period_type), r.deadline_days) for r in rows]
    if code is not None and not forms:
        raise NotFoundError(f"report form '{code}' not found")
    return forms


async def _assigned(session: AsyncSession, form_id: int, readable: frozenset[str] | None) -> list[Assigned]:
    rows = await repository.assigned(session, form_id, readable)
    return [Assigned(r.id, r.code, r.valid_from, r.valid_to) for r in rows]


def due_date(form: FormInfo, p: Period) -> date:
    return p.end + timedelta(days=form.deadline_days)


async def completeness(
    *,
    session: AsyncSession,
    form_code: str,
    start: str,
    end: str,
    departments: list[str] | None,
    caller: Caller,
    today: date,
) -> dict[str, object]:
    """The form's reports of ``departments`` (all when None) among those the caller reads
    (``shared.scoping``); the totals count only those."""
    (form,) = await _forms(session, form_code)
    first, last = period_param(start, "start"), period_param(end, "end")
    periods = [p for p in period_range(first.start, last.end, form.period_type, "end") if p.start <= today]
    readable = readable_departments(caller)
    assigned = [a for a in await _assigned(session, form.id, readable) if not departments or a.code in departments]
    subs = await repository.submissions(session, form.id, [p.iso for p in periods])
    cells = []
    totals = {"expected": 0, "submitted": 0, "on_time": 0, "overdue": 0}
    for a in assigned:
        for p in periods:
            if not a.active_during(p):
                continue
            due = due_date(form, p)
            at = subs.get((a.id, p.iso))
            on_time = at is not None and at.astimezone(VIETNAM).date() <= due
            overdue = at is None and today > due
            totals["expected"] += 1
            totals["submitted"] += at is not None
            totals["on_time"] += on_time
            totals["overdue"] += overdue
            cells.append(
                {
                    "department": a.code,
                    "period": p.iso,
                    "due": due,
                    "submitted_at": at,
                    "on_time": on_time,
                    "overdue": overdue,
                }
            )
    expected = totals["expected"]
    return {
        "form": form.code,
        **totals,
        "completeness_pct": 100.0 * totals["submitted"] / expected if expected else None,
        "timeliness_pct": 100.0 * totals["on_time"] / expected if expected else None,
        "reports": cells,
    }


async def _unsubmitted(
    session: AsyncSession,
    form_code: str | None,
    readable: frozenset[str] | None,
    periods_of: Callable[[FormInfo], list[Period]],
) -> list[tuple[FormInfo, str, Period, date]]:
    """(form, department, period, deadline) of every report of the ``readable`` departments in ``periods_of(form)``
    that was assigned then and is not submitted."""
    out = []
    for form in await _forms(session, form_code):
        periods = periods_of(form)
        subs = await repository.submissions(session, form.id, [p.iso for p in periods])
        for a in await _assigned(session, form.id, readable):
            out += [
                (form, a.code, p, due_date(form, p))
                for p in periods
                if a.active_during(p) and (a.id, p.iso) not in subs
            ]
    return out


async def overdue(
    *, session: AsyncSession, form_code: str | None, since: date, today: date, caller: Caller
) -> list[dict[str, object]]:
    """Every report of the departments the caller reads due before ``today`` (periods starting on or
    after ``since``) not yet submitted."""

    def past_due(form: FormInfo) -> list[Period]:
        return [p for p in period_range(since, today, form.period_type, "since") if due_date(form, p) < today]

    out: list[dict[str, object]] = [
        {
            "form": form.code,
            "department": department,
            "period": p.iso,
            "due": when,
            "days_overdue": (today - when).days,
        }
        for form, department, p, when in await _unsubmitted(session, form_code, readable_departments(caller), past_due)
    ]
    out.sort(key=lambda r: (-int(str(r["days_overdue"])), str(r["form"]), str(r["department"])))
    return out


async def due(*, session: AsyncSession, since: date, today: date, caller: Caller) -> list[dict[str, object]]:
    """The caller's to-do list: every report of the departments it reads (a department officer: its
    own) for the periods from the one holding ``since`` to the one under way, not yet submitted;
    ``overdue`` once its deadline has passed. Nearest deadline first."""

    def until_today(form: FormInfo) -> list[Period]:
        return period_range(since, today, form.period_type, "since")

    out: list[dict[str, object]] = [
        {
            "form": form.code,
            "department": department,
            "period": p.iso,
            "due": when,
            "overdue": today > when,
        }
        for form, department, p, when in await _unsubmitted(session, None, readable_departments(caller), until_today)
    ]
    out.sort(key=lambda r: (str(r["due"]), str(r["form"]), str(r["department"])))
    return out


async def register_submission(
    *, session: AsyncSession, caller: Caller, form_code: str, department: str, period: str, at: datetime
) -> dict[str, object]:
    """Mark a form as submitted for a department and period (DHIS2's ``completeDate``)."""
    (form,) = await _forms(session, form_code)
    p = period_param(period, "period")
    if p.type is not form.period_type:
        raise InvalidInputError(f"form '{form.code}' is reported {form.period_type}, not {p.type}", field="period")
    if not caller.may_write(department):
        raise ForbiddenError(f"user '{caller.name}' may not submit for department '{department}'")
    match = [a for a in await _assigned(session, form.id, None) if a.code == department]
    if not match:
        raise InvalidInputError(f"department '{department}' is not assigned form '{form.code}'", field="department")
    stored = await repository.submit_once(
        session, form_id=form.id, department_id=match[0].id, period=p.iso, at=at, by=caller.name
    )
    due = due_date(form, p)
    return {
        "form": form.code,
        "department": department,
        "period": p.iso,
        "submitted_at": stored,
        "due": due,
        "on_time": stored.astimezone(VIETNAM).date() <= due,
    }
