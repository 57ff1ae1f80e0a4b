"""Site-clearance (GPMB) projects: periodic cumulative progress, % complete and schedule slippage."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role
from services.reports.cases.models import ClearanceProgress, ClearanceProject
from services.reports.cases.projects import repository
from services.reports.cases.projects.schemas import ProjectIn, ProjectOut, ProjectProgressIn, ProjectProgressOut
from services.reports.mapping import out_of
from shared.errors import ConflictError, InvalidInputError
from shared.identity import Caller
from shared.pagination import Page
from shared.scoping import readable_departments

log = logging.getLogger("cityops.reports.cases")


def percent_complete(p: ClearanceProject, latest: ClearanceProgress | None) -> float:
    """Mean of land cleared and households handed over: both must be done for the site to be free."""
    if latest is None:
        return 0.0
    parts = [min(latest.area_cleared_ha / p.area_ha, 1.0)]
    if p.households > 0:
        parts.append(min(latest.households_handed_over / p.households, 1.0))
    return round(100.0 * sum(parts) / len(parts), 1)


def expected_percent(p: ClearanceProject, as_of: date) -> float:
    """The linear plan: 0 % at the start, 100 % at the planned end."""
    span = (p.planned_end_date - p.start_date).days
    done = (as_of - p.start_date).days
    return round(100.0 * min(max(done / span, 0.0), 1.0), 1)


def projected_end(p: ClearanceProject, as_of: date, percent: float) -> date | None:
    """Extrapolate the pace so far; unknown before any progress."""
    if percent >= 100.0:
        return as_of
    elapsed = (as_of - p.start_date).days
    if percent <= 0 or elapsed <= 0:
        return None
    days = round(elapsed * 100.0 / percent)
    if days > (date.max - p.start_date).days:
        return None  # at this pace the site is not cleared within the calendar
    return p.start_date + timedelta(days=days)


async def _out(session: AsyncSession, p: ClearanceProject, today: date, *, history: bool) -> ProjectOut:
    reports = await repository.progress_reports(session, p.id)
    latest = reports[-1] if reports else None
    as_of = latest.as_of if latest else today
    actual = percent_complete(p, latest)
    expected = expected_percent(p, as_of)
    linked = await repository.linked_case_ids(session, p.id)
    return out_of(
        ProjectOut,
        p,
        latest=ProjectProgressOut.model_validate(latest) if latest else None,
        percent_complete=actual,
        expected_percent=expected,
        slippage_points=round(expected - actual, 1),
        projected_end_date=projected_end(p, as_of, actual),
        linked_cases=linked,
        history=[ProjectProgressOut.model_validate(r) for r in reports] if history else None,
    )


async def create(*, session: AsyncSession, project_in: ProjectIn, caller: Caller, now: datetime) -> ProjectOut:
    require_role(caller, "admin", "operator", "department")
    body = project_in
    if await repository.code_taken(session, body.code):
        raise ConflictError(f"project '{body.code}' exists")
    p = ClearanceProject(**body.model_dump(), created_at=now)
    session.add(p)
    await session.flush()
    log.info("project.created", extra={"project_id": p.id, "code": p.code})
    return await _out(session, p, now.date(), history=False)


async def get(*, session: AsyncSession, project_id: int, caller: Caller, today: date) -> ProjectOut:
    project = await repository.project(session, project_id, readable=readable_departments(caller))
    return await _out(session, project, today, history=True)


async def list_projects(
    *,
    session: AsyncSession,
    caller: Caller,
    today: date,
    ward: Sequence[str],
    sort: str,
    cursor: str | None,
    limit: int,
) -> Page[ProjectOut]:
    """``ward`` is "any of these"; empty does not filter. Only the projects the caller sees."""
    rows, next_cursor = await repository.page(
        session, ward=ward, readable=readable_departments(caller), sort=sort, cursor=cursor, limit=limit
    )
    return Page[ProjectOut](items=[await _out(session, p, today, history=False) for p in rows], next_cursor=next_cursor)


def _check(p: ClearanceProject, body: ProjectProgressIn) -> None:
    for field in ("households_agreed", "households_paid", "households_handed_over"):
        if getattr(body, field) > p.households:
            raise InvalidInputError(f"{field} exceeds the project's {p.households} households", field=field)
    if body.area_cleared_ha > p.area_ha:
        raise InvalidInputError(f"area_cleared_ha exceeds the project's {p.area_ha} ha", field="area_cleared_ha")
    if body.as_of < p.start_date:
        raise InvalidInputError("as_of is before the project started", field="as_of")


async def report(
    *, session: AsyncSession, project_id: int, progress_in: ProjectProgressIn, caller: Caller, today: date
) -> ProjectOut:
    """Record cumulative progress as of a date (a second report for the same date replaces the first)."""
    require_role(caller, "admin", "operator", "department")
    body = progress_in
    p = await repository.project(session, project_id, readable=readable_departments(caller))
    _check(p, body)
    values = body.model_dump() | {"project_id": p.id, "reported_by": caller.name}
    await repository.save_progress(session, values)
    log.info("project.progress", extra={"project_id": p.id, "as_of": body.as_of.isoformat(), "by": caller.name})
    return await _out(session, p, today, history=True)
