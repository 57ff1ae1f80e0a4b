"""Reading values back for DHIS2 clients: data sets or data elements, org units (and their children)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_VALUE_SET = text(
    """
    WITH RECURSIVE ous AS (
        SELECT id FROM reports.department WHERE code = ANY(:ous)
        UNION SELECT d.id FROM reports.department d JOIN ous ON d.parent_id = ous.id AND :children
    ), des AS (
        SELECT fi.indicator_id AS id FROM reports.report_form_indicator fi
        JOIN reports.report_form f ON f.id = fi.form_id WHERE f.code = ANY(:ds)
        UNION SELECT id FROM reports.indicator WHERE code = ANY(:des)
    )
    SELECT i.code AS de, v.period, d.code AS ou, c.code AS co, c.options, v.value, v.stored_by, v.created_at,
        v.updated_at, v.comment
    FROM reports.data_value v
    JOIN reports.indicator i ON i.id = v.indicator_id JOIN reports.department d ON d.id = v.department_id
    JOIN reports.category_option_combo c ON c.id = v.category_option_combo_id
    WHERE v.indicator_id IN (SELECT id FROM des) AND v.department_id IN (SELECT id FROM ous)
      AND (CAST(:allowed AS int[]) IS NULL OR v.department_id = ANY(CAST(:allowed AS int[])))
      AND (cardinality(CAST(:periods AS text[])) = 0 OR v.period = ANY(:periods))
      AND (cardinality(CAST(:combos AS text[])) = 0 OR c.code = ANY(:combos))
      AND (CAST(:start AS date) IS NULL OR v.start_date >= CAST(:start AS date))
      AND (CAST(:end AS date) IS NULL OR v.end_date <= CAST(:end AS date))
      AND (CAST(:since AS timestamptz) IS NULL OR v.updated_at >= CAST(:since AS timestamptz))
    ORDER BY d.code, i.code, v.start_date, c.id
    LIMIT :limit
    """
)


async def value_set_rows(
    session: AsyncSession,
    *,
    org_units: Sequence[str],
    children: bool,
    data_sets: Sequence[str],
    data_elements: Sequence[str],
    periods: Sequence[str],
    start: date | None,
    end: date | None,
    since: datetime | None,
    allowed: set[int] | None,
    combos: Sequence[str] = (),
    limit: int | None = None,
) -> list[Any]:
    """Values of the org units (and their children) of ``allowed`` departments only (None: all), changed
    at ``since`` or later (None: whenever), of ``combos`` only (empty: all)."""
    rows = await session.execute(
        _VALUE_SET,
        {
            "ous": list(org_units),
            "children": children,
            "ds": list(data_sets),
            "des": list(data_elements),
            "periods": list(periods),
            "start": start,
            "end": end,
            "since": since,
            "combos": list(combos),
            "limit": limit,
            "allowed": None if allowed is None else sorted(allowed),
        },
    )
    return list(rows)


_TABLES = frozenset({"indicator", "department", "report_form", "category_option_combo"})


async def identifier_rows(session: AsyncSession, *, table: str) -> list[tuple[str, str, str]]:
    """``(code, uid, name)`` of every row of one catalogue table."""
    if table not in _TABLES:  # the table name is part of the SQL text: only ours
        raise ValueError(table)
    rows = await session.execute(text(f"SELECT code, uid, name FROM reports.{table} ORDER BY id"))
    return [(r[0], r[1], r[2]) for r in rows]


async def combo_rows(session: AsyncSession) -> list[tuple[str, int, dict[str, str]]]:
    """``(code, category_combo_id, options)`` of every category option combo."""
    rows = await session.execute(text("SELECT code, category_combo_id, options FROM reports.category_option_combo"))
    return [(r[0], r[1], dict(r[2])) for r in rows]


async def indicator_combos(session: AsyncSession) -> dict[str, int]:
    """Each indicator's category combo id, by indicator code."""
    rows = await session.execute(text("SELECT code, category_combo_id FROM reports.indicator"))
    return {r[0]: r[1] for r in rows}


async def insert_job(session: AsyncSession, *, job_id: str, user: str, job_type: str, at: datetime) -> None:
    await session.execute(
        text("INSERT INTO reports.dhis2_job (id, user_id, job_type, created_at) VALUES (:id, :user, :type, :at)"),
        {"id": job_id, "user": user, "type": job_type, "at": at},
    )


async def finish_job(session: AsyncSession, *, job_id: str, summary: dict[str, Any], at: datetime) -> None:
    await session.execute(
        text("UPDATE reports.dhis2_job SET finished_at = :at, summary = CAST(:summary AS jsonb) WHERE id = :id"),
        {"id": job_id, "at": at, "summary": json.dumps(summary)},
    )


async def job(session: AsyncSession, *, job_id: str, user: str, job_type: str) -> Any:
    """One job of that user and type: created_at, finished_at, summary; None when there is none."""
    rows = await session.execute(
        text(
            "SELECT id, created_at, finished_at, summary FROM reports.dhis2_job "
            "WHERE id = :id AND user_id = :user AND job_type = :type"
        ),
        {"id": job_id, "user": user, "type": job_type},
    )
    return rows.one_or_none()


_REGISTRATIONS = text(
    """
    WITH RECURSIVE ous AS (
        SELECT id FROM reports.department WHERE code = ANY(:ous)
        UNION SELECT d.id FROM reports.department d JOIN ous ON d.parent_id = ous.id AND :children
    )
    SELECT f.code AS ds, s.period, d.code AS ou, s.submitted_at, s.submitted_by
    FROM reports.submission s
    JOIN reports.report_form f ON f.id = s.form_id JOIN reports.department d ON d.id = s.department_id
    WHERE f.code = ANY(:ds) AND s.department_id IN (SELECT id FROM ous)
      AND (CAST(:allowed AS int[]) IS NULL OR s.department_id = ANY(CAST(:allowed AS int[])))
      AND (cardinality(CAST(:periods AS text[])) = 0 OR s.period = ANY(:periods))
      AND (CAST(:since AS timestamptz) IS NULL OR s.submitted_at >= CAST(:since AS timestamptz))
    ORDER BY d.code, f.code, s.period
    """
)


async def registration_rows(
    session: AsyncSession,
    *,
    data_sets: Sequence[str],
    org_units: Sequence[str],
    children: bool,
    periods: Sequence[str],
    since: datetime | None,
    allowed: set[int] | None,
) -> list[Any]:
    """Submitted forms (DHIS2's complete registrations) of those forms and org units (and children)."""
    rows = await session.execute(
        _REGISTRATIONS,
        {
            "ds": list(data_sets),
            "ous": list(org_units),
            "children": children,
            "periods": list(periods),
            "since": since,
            "allowed": None if allowed is None else sorted(allowed),
        },
    )
    return list(rows)


async def delete_registration(session: AsyncSession, *, data_set: str, org_unit: str, period: str) -> bool:
    """Un-register a form's submission; False when there was none."""
    result = await session.execute(
        text(
            "DELETE FROM reports.submission s USING reports.report_form f, reports.department d "
            "WHERE f.id = s.form_id AND d.id = s.department_id AND f.code = :ds AND d.code = :ou AND s.period = :pe "
            "RETURNING 1"
        ),
        {"ds": data_set, "ou": org_unit, "pe": period},
    )
    return result.first() is not None
