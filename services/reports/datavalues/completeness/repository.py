"""SQL of completeness: report forms, the departments assigned to one, its submissions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import in_readable
from services.reports.datavalues.models import Department, ReportFormDepartment


async def forms(session: AsyncSession, code: str | None) -> Sequence[Row[Any]]:
    """The form of that code (every form when None): id, code, period_type, deadline_days."""
    rows = await session.execute(
        text(
            "SELECT id, code, period_type, deadline_days FROM reports.report_form "
            "WHERE CAST(:c AS text) IS NULL OR code = :c ORDER BY code"
        ),
        {"c": code},
    )
    return rows.all()


async def assigned(
    session: AsyncSession, form_id: int, readable: frozenset[str] | None
) -> Sequence[Row[int, str, date | None, date | None]]:
    """The departments that report the form, of the ``readable`` subtrees (None: all): id, code,
    valid_from, valid_to."""
    rows = await session.execute(
        select(Department.id, Department.code, Department.valid_from, Department.valid_to)
        .join(ReportFormDepartment, ReportFormDepartment.department_id == Department.id)
        .where(ReportFormDepartment.form_id == form_id, in_readable(readable, Department.id, by="id"))
        .order_by(Department.code)
    )
    return rows.all()


async def submissions(session: AsyncSession, form_id: int, periods: list[str]) -> dict[tuple[int, str], datetime]:
    """When the form was submitted, by (department id, period)."""
    rows = await session.execute(
        text(
            "SELECT department_id, period, submitted_at FROM reports.submission WHERE form_id = :f AND period = ANY(:p)"
        ),
        {"f": form_id, "p": periods},
    )
    return {(r.department_id, r.period): r.submitted_at for r in rows}


async def submit_once(
    session: AsyncSession, *, form_id: int, department_id: int, period: str, at: datetime, by: str
) -> datetime:
    """Record the submission unless there is one; returns when it was (first) submitted."""
    key = {"f": form_id, "d": department_id, "p": period}
    await session.execute(
        text(
            "INSERT INTO reports.submission (form_id, department_id, period, submitted_at, submitted_by) "
            "VALUES (:f, :d, :p, :at, :by) ON CONFLICT DO NOTHING"
        ),
        key | {"at": at, "by": by},
    )
    stored: datetime = await session.scalar(
        text("SELECT submitted_at FROM reports.submission WHERE form_id = :f AND department_id = :d AND period = :p"),
        key,
    )
    return stored
