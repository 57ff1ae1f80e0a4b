"""A department officer's form entry: the grid of one form, department and period; drafts (kept apart
from the values, so neither counted nor submitted); submission through the ordinary import, all or
nothing, its conflicts named by cell; uploads of CSV or XLSX with a preview of what they would replace.

Department scoping: a department the caller does not read is answered as unknown (404); one it reads
but may not write (a parent's officer, a leader) is refused (403) for drafts and submissions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import form as form_by_code
from services.reports.datavalues.completeness import repository as completeness_repository
from services.reports.datavalues.completeness.service import FormInfo, due_date, register_submission
from services.reports.datavalues.entry import repository
from services.reports.datavalues.entry.schemas import ChangeOut, HistoryOut
from services.reports.datavalues.imports.parse import RawColumns, RawRow, rows_from_csv
from services.reports.datavalues.imports.service import import_values
from services.reports.datavalues.imports.spreadsheet import XLSX, rows_from_xlsx
from services.reports.datavalues.imports.summary import ImportOptions
from services.reports.datavalues.periods import Period, PeriodType, period_param
from shared.db import Database
from shared.errors import ForbiddenError, InvalidInputError, NotFoundError
from shared.identity import Caller
from shared.pagination import Page
from shared.scoping import readable_departments

log = logging.getLogger("cityops.reports.entry")


@dataclass(frozen=True)
class Target:
    """One form, for one department and period, that the caller may read."""

    form: FormInfo
    name: str
    department_id: int
    department: str
    period: Period


async def _target(session: AsyncSession, caller: Caller, form_code: str, department: str, period: str) -> Target:
    f = await form_by_code(session, form_code)
    info = FormInfo(f.id, f.code, PeriodType(f.period_type), f.deadline_days)
    p = period_param(period, "period")
    if p.type is not info.period_type:
        raise InvalidInputError(f"form '{f.code}' is reported {info.period_type}, not {p.type}", field="period")
    readable = await completeness_repository.assigned(session, f.id, readable_departments(caller))
    match = [a for a in readable if a.code == department]
    if not match:
        raise NotFoundError(f"department '{department}' does not report form '{f.code}'")
    return Target(info, f.name, match[0].id, department, p)


def _writable(caller: Caller, t: Target) -> None:
    if not caller.may_write(t.department):
        raise ForbiddenError(f"user '{caller.name}' may not report for department '{t.department}'")


async def grid(
    *, session: AsyncSession, caller: Caller, form_code: str, department: str, period: str
) -> dict[str, Any]:
    """The form as a grid: a row per indicator, a cell per option combo of its disaggregation, with
    the stored value and the draft's."""
    t = await _target(session, caller, form_code, department, period)
    cells = await repository.form_cells(session, t.form.id)
    stored = {
        (r.indicator, r.combo): r
        for r in await repository.stored_cells(session, t.form.id, t.department_id, t.period.iso)
    }
    draft = await repository.draft(session, t.form.id, t.department_id, t.period.iso)
    drafted = {(c["indicator"], c["category_option_combo"]): c for c in (draft.cells if draft else [])}
    subs = await completeness_repository.submissions(session, t.form.id, [t.period.iso])
    columns: dict[str, str] = {}
    rows: dict[str, dict[str, Any]] = {}
    for c in cells:
        columns.setdefault(c.combo, c.combo_name)
        row = rows.setdefault(
            c.indicator,
            {
                "indicator": c.indicator,
                "name": c.name,
                "unit": c.unit,
                "value_type": c.value_type,
                "min_value": c.min_value,
                "max_value": c.max_value,
                "cells": [],
            },
        )
        value, d = stored.get((c.indicator, c.combo)), drafted.get((c.indicator, c.combo))
        row["cells"].append(
            {
                "category_option_combo": c.combo,
                "value": value.value if value else None,
                "comment": value.comment if value else None,
                "draft": d["value"] if d else None,
                "draft_comment": d.get("comment") if d else None,
            }
        )
    return {
        "form": t.form.code,
        "name": t.name,
        "department": t.department,
        "period": t.period.iso,
        "due": due_date(t.form, t.period),
        "submitted_at": subs.get((t.department_id, t.period.iso)),
        "draft_saved_at": draft.saved_at if draft else None,
        "draft_saved_by": draft.saved_by if draft else None,
        "columns": [{"code": k, "name": v} for k, v in columns.items()],
        "rows": list(rows.values()),
    }


async def _checked_cells(session: AsyncSession, t: Target, cells: list[dict[str, Any]]) -> None:
    """Every cell names one of the form's indicators and an option combo of its disaggregation."""
    known = {(r.indicator, r.combo) for r in await repository.form_cells(session, t.form.id)}
    for i, c in enumerate(cells):
        if (c["indicator"], c["category_option_combo"]) not in known:
            raise InvalidInputError(
                f"form '{t.form.code}' has no cell {c['indicator']}/{c['category_option_combo']}",
                field=f"cells.{i}.indicator",
            )


async def save_draft(
    *, session: AsyncSession, caller: Caller, form_code: str, department: str, period: str,
    cells: list[dict[str, Any]], now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """Keep the cells as typed; nothing is validated beyond their place in the form, nothing counted."""
    t = await _target(session, caller, form_code, department, period)
    _writable(caller, t)
    await _checked_cells(session, t, cells)
    await repository.save_draft(
        session,
        form_id=t.form.id,
        department_id=t.department_id,
        period=t.period.iso,
        cells=cells,
        by=caller.name,
        at=now,
    )
    log.info(
        "reports.entry_draft",
        extra={"form": t.form.code, "department": department, "period": t.period.iso, "user": caller.name},
    )
    return {"form": t.form.code, "department": department, "period": t.period.iso, "saved_at": now, "cells": len(cells)}


@dataclass(frozen=True)
class Submitted:
    summary: dict[str, Any]
    submission: dict[str, object] | None


async def submit(
    *, database: Database, caller: Caller, form_code: str, department: str, period: str,
    cells: list[dict[str, Any]], now: datetime,
) -> Submitted:  # fmt: skip
    """Store the form's filled cells through the import, all or nothing, and register the submission.

    When a cell is refused, nothing is stored, the cells are kept as the draft (nothing typed is lost)
    and each conflict names its cell (``indicator``, ``category_option_combo``)."""
    async with database.session() as session:
        t = await _target(session, caller, form_code, department, period)
        _writable(caller, t)
        await _checked_cells(session, t, cells)
    filled = [c for c in cells if c["value"].strip()]
    rows = [
        RawRow(c["indicator"], department, t.period.iso, c["value"], c.get("comment"), c["category_option_combo"])
        for c in filled
    ]
    result = await import_values(database=database, rows=rows, caller=caller, options=ImportOptions(atomic=True))
    summary = result.summary
    for conflict in summary["conflicts"]:
        cell = filled[conflict["row"]]
        conflict.update(indicator=cell["indicator"], category_option_combo=cell["category_option_combo"])
    async with database.session() as session:
        if summary["status"] == "ERROR":
            await repository.save_draft(
                session, form_id=t.form.id, department_id=t.department_id, period=t.period.iso,
                cells=cells, by=caller.name, at=now,
            )  # fmt: skip
            return Submitted(summary, None)
        submission = await register_submission(
            session=session, caller=caller, form_code=t.form.code, department=department, period=t.period.iso, at=now
        )
        await repository.drop_draft(session, t.form.id, t.department_id, t.period.iso)
    return Submitted(summary, submission)


def _same(old: str, new: str) -> bool:
    """Whether ``new`` says what the stored ``old`` does (``12`` and ``12.0`` are the same number)."""
    try:
        return float(old) == float(new)
    except ValueError:
        return old.strip() == new.strip()


async def _overwrites(session: AsyncSession, caller: Caller, cols: RawColumns) -> list[dict[str, Any]]:
    """Rows that would replace a different stored value (of the departments the caller writes)."""
    keys: dict[int, tuple[str, str, str, str]] = {}
    for i in range(len(cols)):
        department, value = str(cols.department[i] or ""), cols.value[i]
        if value in (None, "") or not caller.may_write(department):
            continue
        try:
            period = period_param(str(cols.period[i] or ""), "period").iso
        except InvalidInputError:
            continue  # the import names the bad period
        keys[i] = (str(cols.indicator[i] or ""), department, period, str(cols.combo[i] or "default"))
    stored = await repository.current_values(session, list(set(keys.values())))
    out = []
    for i, key in keys.items():
        old, new = stored.get(key), str(cols.value[i])
        if old is not None and not _same(old, new):
            indicator, department, period, combo = key
            out.append(
                {"row": i, "indicator": indicator, "department": department, "period": period,
                 "category_option_combo": combo, "old_value": old, "new_value": new}
            )  # fmt: skip
    return out


async def upload(
    *, database: Database, caller: Caller, body: bytes, content_type: str, dry_run: bool, atomic: bool
) -> dict[str, Any]:
    """A CSV or XLSX file of values: with ``dry_run``, the import's summary (invalid values) and the
    values it would overwrite, nothing stored; else imported."""
    if content_type == XLSX:
        cols = rows_from_xlsx(body)
    elif content_type in ("text/csv", "application/csv"):
        cols = rows_from_csv(body)
    else:
        raise InvalidInputError(f"upload a CSV (text/csv) or XLSX ({XLSX}) file, not '{content_type}'", field="file")
    async with database.session() as session:
        overwrites = await _overwrites(session, caller, cols)
    result = await import_values(
        database=database, rows=cols, caller=caller, options=ImportOptions(dry_run=dry_run, atomic=atomic)
    )
    return {"import_summary": result.summary, "overwrites": overwrites}


async def history(
    *, session: AsyncSession, caller: Caller, sort: str, cursor: str | None, limit: int
) -> Page[HistoryOut]:
    """The forms submitted by the departments the caller reads, newest first by default."""
    rows, next_cursor = await repository.submission_page(
        session, readable=readable_departments(caller), sort=sort, cursor=cursor, limit=limit
    )
    return Page[HistoryOut](
        items=[HistoryOut.model_validate(r, from_attributes=True) for r in rows], next_cursor=next_cursor
    )


async def changes(
    *, session: AsyncSession, caller: Caller, sort: str, cursor: str | None, limit: int
) -> Page[ChangeOut]:
    """The audit trail of the values of the departments the caller reads: every update and deletion."""
    rows, next_cursor = await repository.audit_page(
        session, readable=readable_departments(caller), sort=sort, cursor=cursor, limit=limit
    )
    return Page[ChangeOut](
        items=[ChangeOut.model_validate(r, from_attributes=True) for r in rows], next_cursor=next_cursor
    )
