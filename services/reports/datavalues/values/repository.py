"""SQL of the stored values: a page of them, and one value's versions (its audit rows and current row)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, SQLColumnExpression, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import in_readable
from services.reports.datavalues.models import CategoryOptionCombo, DataValue, Department, Indicator
from shared.pagination import Ordering

# "period" sorts by when the period starts; the key tells apart periods starting the same day.
DATA_VALUE_ORDER = Ordering(
    fields={"period": DataValue.start_date, "created_at": DataValue.created_at, "updated_at": DataValue.updated_at},
    key=[DataValue.indicator_id, DataValue.department_id, DataValue.period, DataValue.category_option_combo_id],
)


# Plain columns, not entities: the page's cursor reads the order's columns off the last row. Typed as
# a tuple of any length so the select is the Select[Any] that Ordering.apply takes.
_VALUE_COLUMNS: tuple[SQLColumnExpression[Any], ...] = (
    DataValue.indicator_id,
    DataValue.department_id,
    DataValue.period,
    DataValue.category_option_combo_id,
    DataValue.start_date,
    DataValue.created_at,
    DataValue.updated_at,
    Indicator.code.label("indicator"),
    Department.code.label("department"),
    CategoryOptionCombo.code.label("category_option_combo"),
    DataValue.value,
    DataValue.comment,
    DataValue.stored_by,
)


async def value_page(
    session: AsyncSession,
    *,
    indicator_ids: list[int],
    department_ids: list[int] | None,
    readable: frozenset[str] | None,
    start: date | None,
    end: date | None,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[Row[Any]], str | None]:
    """One page of the values of those indicators (and departments, unless None) in periods within
    [start, end], with their indicator and department codes; only of the ``readable`` departments'
    subtrees (None: all)."""
    conditions: list[ColumnElement[bool]] = [
        DataValue.indicator_id.in_(indicator_ids),
        in_readable(readable, DataValue.department_id, by="id"),
    ]
    if department_ids is not None:
        conditions.append(DataValue.department_id.in_(department_ids))
    if start is not None:
        conditions.append(DataValue.start_date >= start)
    if end is not None:
        conditions.append(DataValue.end_date <= end)
    query = (
        select(*_VALUE_COLUMNS)
        .join(Indicator, Indicator.id == DataValue.indicator_id)
        .join(Department, Department.id == DataValue.department_id)
        .join(CategoryOptionCombo, CategoryOptionCombo.id == DataValue.category_option_combo_id)
        .where(*conditions)
    )
    query = DATA_VALUE_ORDER.apply(query, sort=sort, cursor=cursor, limit=limit)
    return DATA_VALUE_ORDER.page((await session.execute(query)).all(), sort=sort, limit=limit)


async def value_key(session: AsyncSession, indicator: str, department: str, combo: str) -> Row[Any]:
    """The ids (``ind``, ``dep``, ``coc``) of an indicator, a department and an option combo code, each None
    when unknown."""
    return (
        await session.execute(
            text(
                "SELECT (SELECT id FROM reports.indicator WHERE code = :i) AS ind, "
                "(SELECT id FROM reports.department WHERE code = :d) AS dep, "
                "(SELECT id FROM reports.category_option_combo WHERE code = :c) AS coc"
            ),
            {"i": indicator, "d": department, "c": combo},
        )
    ).one()


# A value's key: indicator_id, department_id, period, category_option_combo_id.
_KEY = "indicator_id = :i AND department_id = :d AND period = :p AND category_option_combo_id = :c"


async def audit_rows(session: AsyncSession, key: tuple[int, int, str, int]) -> Sequence[Row[Any]]:
    """One value's changes, oldest first."""
    return (
        await session.execute(
            text(
                "SELECT action, old_value, old_comment, old_by, old_at, new_value, new_comment, changed_by, "
                f"changed_at, import_id FROM reports.data_value_audit WHERE {_KEY} ORDER BY id"
            ),
            dict(zip("idpc", key, strict=True)),
        )
    ).all()


async def current_value(session: AsyncSession, key: tuple[int, int, str, int]) -> Row[Any] | None:
    return (
        await session.execute(
            text(f"SELECT value, comment, stored_by, created_at FROM reports.data_value WHERE {_KEY}"),
            dict(zip("idpc", key, strict=True)),
        )
    ).one_or_none()
