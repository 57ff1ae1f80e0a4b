"""Reading stored values and their audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.domain.catalogue import subtree_ids
from services.reports.domain.periods import Period, PeriodError, parse_period
from services.reports.schemas import AuditEntry, StoredValue
from shared.errors import InvalidInputError, NotFoundError


def period_param(value: str, field: str) -> Period:
    try:
        return parse_period(value)
    except PeriodError as exc:
        raise InvalidInputError(f"invalid period '{value}': {exc}", field=field) from None


async def indicator_ids(session: AsyncSession, codes: list[str], field: str = "indicator") -> dict[str, int]:
    rows = await session.execute(text("SELECT code, id FROM reports.indicator WHERE code = ANY(:c)"), {"c": codes})
    found = {r.code: r.id for r in rows}
    missing = sorted(set(codes) - found.keys())
    if missing:
        raise InvalidInputError(f"unknown indicator(s): {', '.join(missing)}", field=field)
    return found


async def department_ids(
    session: AsyncSession, codes: list[str], *, include_subtree: bool, field: str = "department"
) -> list[int]:
    """Ids of the named departments (all departments when none is named)."""
    if not codes:
        return list(await session.scalars(text("SELECT id FROM reports.department")))
    rows = await session.execute(text("SELECT code, id FROM reports.department WHERE code = ANY(:c)"), {"c": codes})
    found = {r.code: r.id for r in rows}
    missing = sorted(set(codes) - found.keys())
    if missing:
        raise InvalidInputError(f"unknown department(s): {', '.join(missing)}", field=field)
    if include_subtree:
        return await subtree_ids(session, codes)
    return list(found.values())


async def stored_values(
    session: AsyncSession,
    indicators: list[str],
    departments: list[str] | None,
    *,
    include_subtree: bool,
    start: str | None,
    end: str | None,
    limit: int,
) -> list[StoredValue]:
    ids = list((await indicator_ids(session, indicators)).values())
    dep_ids = await department_ids(session, departments, include_subtree=include_subtree) if departments else None
    first = period_param(start, "start").start if start else None
    last = period_param(end, "end").end if end else None
    rows = await session.execute(
        text(
            "SELECT i.code AS indicator, d.code AS department, v.period, v.value, v.comment, v.stored_by, "
            "v.created_at, v.updated_at FROM reports.data_value v "
            "JOIN reports.indicator i ON i.id = v.indicator_id JOIN reports.department d ON d.id = v.department_id "
            "WHERE v.indicator_id = ANY(:ids) AND (CAST(:deps AS int[]) IS NULL OR v.department_id = ANY(:deps)) "
            "AND (CAST(:first AS date) IS NULL OR v.start_date >= :first) "
            "AND (CAST(:last AS date) IS NULL OR v.end_date <= :last) "
            "ORDER BY i.code, d.code, v.start_date LIMIT :limit"
        ),
        {"ids": ids, "deps": dep_ids, "first": first, "last": last, "limit": limit},
    )
    return [StoredValue(**r._mapping) for r in rows]


async def audit_trail(session: AsyncSession, indicator: str, department: str, period: str) -> list[AuditEntry]:
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
    entries: list[AuditEntry] = []
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
            AuditEntry(
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


def _creation(value: str | None, comment: str | None, by: str | None, at: datetime | None) -> AuditEntry:
    return AuditEntry(
        action="create",
        old_value=None,
        new_value=value,
        old_comment=None,
        new_comment=comment,
        changed_by=by or "",
        changed_at=at or datetime.min,
        import_id=None,
    )
