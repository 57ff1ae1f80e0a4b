"""SQL of form entry: a form's grid (indicators × option combos with their stored values), drafts,
the values an upload would replace, a department's submissions and value changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, SQLColumnExpression, delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import in_readable
from services.reports.datavalues.models import (
    DataValueAudit,
    Department,
    FormDraft,
    Indicator,
    ReportForm,
    Submission,
)
from shared.pagination import Ordering

SUBMISSION_ORDER = Ordering.of(
    Submission.submitted_at, key=[Submission.form_id, Submission.department_id, Submission.period]
)
AUDIT_ORDER = Ordering.of(DataValueAudit.changed_at, key=[DataValueAudit.id])
# Typed as tuples of any length so that the selects are the Select[Any] that Ordering.apply takes.
_SUBMISSION_COLUMNS: tuple[SQLColumnExpression[Any], ...] = (
    Submission.form_id,
    Submission.department_id,
    Submission.period,
    Submission.submitted_at,
    Submission.submitted_by,
    ReportForm.code.label("form"),
    ReportForm.name.label("form_name"),
    Department.code.label("department"),
)
_AUDIT_COLUMNS: tuple[SQLColumnExpression[Any], ...] = (
    DataValueAudit.id,
    DataValueAudit.changed_at,
    DataValueAudit.period,
    DataValueAudit.action,
    DataValueAudit.old_value,
    DataValueAudit.new_value,
    DataValueAudit.changed_by,
    DataValueAudit.import_id,
    Indicator.code.label("indicator"),
    Department.code.label("department"),
)


async def form_cells(session: AsyncSession, form_id: int) -> Sequence[Row[Any]]:
    """Every cell of the form: each indicator with each option combo of its disaggregation, in
    indicator order, then option combo order."""
    rows = await session.execute(
        text(
            "SELECT i.code AS indicator, i.name, i.unit, i.value_type, i.min_value, i.max_value, "
            "c.code AS combo, c.name AS combo_name "
            "FROM reports.report_form_indicator fi JOIN reports.indicator i ON i.id = fi.indicator_id "
            "JOIN reports.category_option_combo c ON c.category_combo_id = i.category_combo_id "
            "WHERE fi.form_id = :f ORDER BY i.code, c.id"
        ),
        {"f": form_id},
    )
    return rows.all()


async def stored_cells(session: AsyncSession, form_id: int, department_id: int, period: str) -> Sequence[Row[Any]]:
    """The stored values of the form's indicators for one department and period."""
    rows = await session.execute(
        text(
            "SELECT i.code AS indicator, c.code AS combo, v.value, v.comment "
            "FROM reports.data_value v JOIN reports.indicator i ON i.id = v.indicator_id "
            "JOIN reports.category_option_combo c ON c.id = v.category_option_combo_id "
            "JOIN reports.report_form_indicator fi ON fi.indicator_id = v.indicator_id AND fi.form_id = :f "
            "WHERE v.department_id = :d AND v.period = :p"
        ),
        {"f": form_id, "d": department_id, "p": period},
    )
    return rows.all()


async def draft(session: AsyncSession, form_id: int, department_id: int, period: str) -> FormDraft | None:
    return await session.get(FormDraft, (form_id, department_id, period))


async def drafted(session: AsyncSession, form_ids: list[int]) -> set[tuple[int, int, str]]:
    """(form id, department id, period) of the forms' drafts."""
    rows = await session.execute(
        select(FormDraft.form_id, FormDraft.department_id, FormDraft.period).where(FormDraft.form_id.in_(form_ids))
    )
    return {(r.form_id, r.department_id, r.period) for r in rows}


async def save_draft(
    session: AsyncSession,
    *,
    form_id: int,
    department_id: int,
    period: str,
    cells: list[dict[str, str | None]],
    by: str,
    at: datetime,
) -> None:
    values = {"cells": cells, "saved_by": by, "saved_at": at}
    await session.execute(
        insert(FormDraft)
        .values(form_id=form_id, department_id=department_id, period=period, **values)
        .on_conflict_do_update(index_elements=["form_id", "department_id", "period"], set_=values)
    )


async def drop_draft(session: AsyncSession, form_id: int, department_id: int, period: str) -> None:
    await session.execute(
        delete(FormDraft).where(
            FormDraft.form_id == form_id, FormDraft.department_id == department_id, FormDraft.period == period
        )
    )


async def current_values(
    session: AsyncSession, keys: Sequence[tuple[str, str, str, str]]
) -> dict[tuple[str, str, str, str], str]:
    """The stored value of each (indicator code, department code, period, option combo code) that has one."""
    if not keys:
        return {}
    rows = await session.execute(
        text(
            "SELECT i.code AS indicator, d.code AS department, v.period, c.code AS combo, v.value "
            "FROM unnest(CAST(:i AS text[]), CAST(:d AS text[]), CAST(:p AS text[]), CAST(:c AS text[])) "
            "AS k(indicator, department, period, combo) "
            "JOIN reports.indicator i ON i.code = k.indicator JOIN reports.department d ON d.code = k.department "
            "JOIN reports.category_option_combo c ON c.code = k.combo "
            "JOIN reports.data_value v ON v.indicator_id = i.id AND v.department_id = d.id "
            "AND v.period = k.period AND v.category_option_combo_id = c.id"
        ),
        {name: [k[n] for k in keys] for n, name in enumerate("idpc")},
    )
    return {(r.indicator, r.department, r.period, r.combo): r.value for r in rows}


async def submission_page(
    session: AsyncSession, *, readable: frozenset[str] | None, sort: str, cursor: str | None, limit: int
) -> tuple[list[Row[Any]], str | None]:
    """Submitted forms of the ``readable`` departments' subtrees (None: all)."""
    query = (
        select(*_SUBMISSION_COLUMNS)
        .join(ReportForm, ReportForm.id == Submission.form_id)
        .join(Department, Department.id == Submission.department_id)
        .where(in_readable(readable, Submission.department_id, by="id"))
    )
    query = SUBMISSION_ORDER.apply(query, sort=sort, cursor=cursor, limit=limit)
    return SUBMISSION_ORDER.page((await session.execute(query)).all(), sort=sort, limit=limit)


async def audit_page(
    session: AsyncSession, *, readable: frozenset[str] | None, sort: str, cursor: str | None, limit: int
) -> tuple[list[Row[Any]], str | None]:
    """Changes (updates, deletions) to values of the ``readable`` departments' subtrees (None: all)."""
    query = (
        select(*_AUDIT_COLUMNS)
        .join(Indicator, Indicator.id == DataValueAudit.indicator_id)
        .join(Department, Department.id == DataValueAudit.department_id)
        .where(in_readable(readable, DataValueAudit.department_id, by="id"))
    )
    query = AUDIT_ORDER.apply(query, sort=sort, cursor=cursor, limit=limit)
    return AUDIT_ORDER.page((await session.execute(query)).all(), sort=sort, limit=limit)
