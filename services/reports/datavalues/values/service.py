"""Reading stored values and their audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import department_ids, indicator_ids
from services.reports.datavalues.models import DataValue, Department, Indicator
from services.reports.datavalues.periods import period_param
from services.reports.datavalues.values.schemas import AuditEntryOut, StoredValueOut
from shared.errors import NotFoundError
from shared.pagination import Ordering, Page

# "period" sorts by when the period starts; the key tells apart periods starting the same day.
DATA_VALUE_ORDER = Ordering(
    fields={"period": DataValue.start_date, "created_at": DataValue.created_at, "updated_at": DataValue.updated_at},
    key=[DataValue.indicator_id, DataValue.department_id, DataValue.period],
)


# Plain columns, not entities: the page's cursor reads the order's columns off the last row. Typed as
# a tuple of any length so the select is the Select[Any] that Ordering.apply takes.
_VALUE_COLUMNS: tuple[SQLColumnExpression[Any], ...] = (
    DataValue.indicator_id,
    DataValue.department_id,
    DataValue.period,
    DataValue.start_date,
    DataValue.created_at,
    DataValue.updated_at,
    Indicator.code.label("indicator"),
    Department.code.label("department"),
    DataValue.value,
    DataValue.comment,
    DataValue.stored_by,
)


@dataclass(frozen=True)
class ValueFilter:
    """Values of any of ``indicators``, of any of ``departments`` (all when empty), within [start, end]."""

    indicators: Sequence[str]
    departments: Sequence[str] = ()
    include_subtree: bool = False
    start: str | None = None
    end: str | None = None


async def _value_conditions(session: AsyncSession, f: ValueFilter) -> list[ColumnElement[bool]]:
    ids = list((await indicator_ids(session, list(f.indicators))).values())
    conditions: list[ColumnElement[bool]] = [DataValue.indicator_id.in_(ids)]
    if f.departments:
        deps = await department_ids(session, list(f.departments), include_subtree=f.include_subtree)
        conditions.append(DataValue.department_id.in_(deps))
    if f.start:
        conditions.append(DataValue.start_date >= period_param(f.start, "start").start)
    if f.end:
        conditions.append(DataValue.end_date <= period_param(f.end, "end").end)
    return conditions


async def stored_values(
    session: AsyncSession, f: ValueFilter, *, sort: str, cursor: str | None, limit: int
) -> Page[StoredValueOut]:
    query = (
        select(*_VALUE_COLUMNS)
        .join(Indicator, Indicator.id == DataValue.indicator_id)
        .join(Department, Department.id == DataValue.department_id)
        .where(*await _value_conditions(session, f))
    )
    query = DATA_VALUE_ORDER.apply(query, sort=sort, cursor=cursor, limit=limit)
    rows, next_cursor = DATA_VALUE_ORDER.page((await session.execute(query)).all(), sort=sort, limit=limit)
    return Page[StoredValueOut](items=[StoredValueOut(**r._mapping) for r in rows], next_cursor=next_cursor)


async def audit_trail(session: AsyncSession, indicator: str, department: str, period: str) -> list[AuditEntryOut]:
    """Every version of one value, oldest first: its creation, then each update or deletion."""
    p = period_param(period, "period")
    ids = (
        await session.execute(
            text(
                "SELECT (SELECT id FROM reports.indicator WHERE code = :i) AS ind, "
                "(SELECT id FROM reports.department WHERE code = :d) AS dep"
            ),
            {"i": indicator, "d": department},
        )
    ).one()
    if ids.ind is None or ids.dep is None:
        raise NotFoundError(f"unknown indicator '{indicator}' or department '{department}'")
    key = {"i": ids.ind, "d": ids.dep, "p": p.iso}
    changes = (
        await session.execute(
            text(
                "SELECT action, old_value, old_comment, old_by, old_at, new_value, new_comment, changed_by, "
                "changed_at, import_id FROM reports.data_value_audit "
                "WHERE indicator_id = :i AND department_id = :d AND period = :p ORDER BY id"
            ),
            key,
        )
    ).all()
    current = (
        await session.execute(
            text(
                "SELECT value, comment, stored_by, created_at FROM reports.data_value "
                "WHERE indicator_id = :i AND department_id = :d AND period = :p"
            ),
            key,
        )
    ).one_or_none()
    entries: list[AuditEntryOut] = []
    # The first version is what the first change replaced, or the current row if nothing changed yet.
    # A value deleted and created again starts a new chain after each deletion.
    created_from = changes[0] if changes else None
    if created_from is not None:
        entries.append(
            _creation(created_from.old_value, created_from.old_comment, created_from.old_by, created_from.old_at)
        )
    elif current is not None:
        entries.append(_creation(current.value, current.comment, current.stored_by, current.created_at))
    for i, c in enumerate(changes):
        if i > 0 and changes[i - 1].action == "delete" and c.old_value is not None:
            entries.append(_creation(c.old_value, c.old_comment, c.old_by, c.old_at))
        entries.append(
            AuditEntryOut(
                action=c.action,
                old_value=c.old_value,
                new_value=c.new_value,
                old_comment=c.old_comment,
                new_comment=c.new_comment,
                changed_by=c.changed_by,
                changed_at=c.changed_at,
                import_id=c.import_id,
            )
        )
    if changes and changes[-1].action == "delete" and current is not None:
        entries.append(_creation(current.value, current.comment, current.stored_by, current.created_at))
    return entries


def _creation(value: str | None, comment: str | None, by: str | None, at: datetime | None) -> AuditEntryOut:
    return AuditEntryOut(
        action="create",
        old_value=None,
        new_value=value,
        old_comment=None,
        new_comment=comment,
        changed_by=by or "",
        changed_at=at or datetime.min,
        import_id=None,
    )
