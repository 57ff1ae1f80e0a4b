"""SQL of the catalogue: departments, indicators and their targets, report forms; and the lookups
other features share (codes to ids, a department's subtree)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any, Literal

from sqlalchemy import CTE, ColumnElement, delete, exists, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import SQLCoreOperations

from services.reports.datavalues.models import (
    DataValue,
    Department,
    Indicator,
    IndicatorTarget,
    ReportForm,
    ReportFormDepartment,
    ReportFormIndicator,
)
from services.reports.db import one_or_404
from shared.errors import InvalidInputError


def subtree(codes: Collection[str], name: str = "subtree") -> CTE:
    """The named departments and every department below them (``id``, ``code``), as one recursive
    query to join or test against: every department-scoped read goes through here."""
    top = select(Department.id, Department.code).where(Department.code.in_(codes)).cte(name, recursive=True)
    child = aliased(Department)
    return top.union(select(child.id, child.code).join(top, child.parent_id == top.c.id))


def in_readable(
    departments: Collection[str] | None, *columns: SQLCoreOperations[Any], by: Literal["id", "code"]
) -> ColumnElement[bool]:
    """One of ``columns`` (department ids or codes) is one of ``departments`` or below them; always
    true for None (the whole city, see ``shared.scoping.readable_departments``)."""
    if departments is None:
        return true()
    tree = subtree(departments, "readable")
    if by == "id":
        return or_(*(column.in_(select(tree.c.id)) for column in columns))
    # A code the catalogue does not (yet) hold still names the caller's own cases and directives.
    own = sorted(departments)
    return or_(*(column.in_(own) | column.in_(select(tree.c.code)) for column in columns))


async def subtree_ids(session: AsyncSession, codes: Collection[str]) -> list[int]:
    """Ids of the named departments and every department below them."""
    return list(await session.scalars(select(subtree(codes).c.id)))


async def readable_ids(session: AsyncSession, departments: Collection[str] | None) -> set[int] | None:
    """The ids of the departments a caller reads (``departments`` and their subtrees); None for all."""
    return None if departments is None else set(await subtree_ids(session, departments))


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


# ---- departments -------------------------------------------------------------------------------


async def department(session: AsyncSession, code: str) -> Department:
    return await one_or_404(
        session, select(Department).where(Department.code == code), f"department '{code}' not found"
    )


async def department_id(session: AsyncSession, code: str) -> int | None:
    return await session.scalar(select(Department.id).where(Department.code == code))


async def department_codes_by_id(session: AsyncSession) -> dict[int, str]:
    return {r.id: r.code for r in await session.execute(select(Department.id, Department.code))}


async def department_ids_by_code(session: AsyncSession, codes: list[str]) -> dict[str, int]:
    """The ids of those of ``codes`` that exist."""
    rows = await session.execute(select(Department.code, Department.id).where(Department.code.in_(codes)))
    return {r.code: r.id for r in rows}


async def parent_id(session: AsyncSession, dep_id: int) -> int | None:
    return await session.scalar(select(Department.parent_id).where(Department.id == dep_id))


async def departments(session: AsyncSession, *, ids: list[int] | None, at: date | None) -> Sequence[Department]:
    """Departments by code, only those of ``ids`` (unless None) and valid on ``at`` (unless None)."""
    query = select(Department).order_by(Department.code)
    if ids is not None:
        query = query.where(Department.id.in_(ids))
    if at is not None:
        query = query.where(
            (Department.valid_from.is_(None) | (Department.valid_from <= at))
            & (Department.valid_to.is_(None) | (Department.valid_to >= at))
        )
    return (await session.scalars(query)).all()


# ---- indicators --------------------------------------------------------------------------------


async def indicator(session: AsyncSession, code: str) -> Indicator:
    return await one_or_404(session, select(Indicator).where(Indicator.code == code), f"indicator '{code}' not found")


async def indicators(session: AsyncSession, *, domain: str | None = None) -> Sequence[Indicator]:
    query = select(Indicator).order_by(Indicator.code)
    if domain is not None:
        query = query.where(Indicator.domain == domain)
    return (await session.scalars(query)).all()


async def indicators_by_code(session: AsyncSession, codes: list[str]) -> dict[str, Indicator]:
    """Those of ``codes`` that exist."""
    return {i.code: i for i in await session.scalars(select(Indicator).where(Indicator.code.in_(codes)))}


async def indicator_codes(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(Indicator.code)))


async def targets(session: AsyncSession, indicator_id: int) -> dict[int, float]:
    rows = await session.execute(
        select(IndicatorTarget.year, IndicatorTarget.value).where(IndicatorTarget.indicator_id == indicator_id)
    )
    return {r.year: r.value for r in rows}


async def all_targets(session: AsyncSession) -> dict[int, dict[int, float]]:
    """Every indicator's targets by year, by indicator id."""
    out: dict[int, dict[int, float]] = {}
    for t in await session.scalars(select(IndicatorTarget)):
        out.setdefault(t.indicator_id, {})[t.year] = t.value
    return out


async def replace_targets(session: AsyncSession, indicator_id: int, targets: dict[int, float]) -> None:
    await session.execute(delete(IndicatorTarget).where(IndicatorTarget.indicator_id == indicator_id))
    session.add_all(IndicatorTarget(indicator_id=indicator_id, year=y, value=v) for y, v in targets.items())
    await session.flush()


async def indicator_has_values(session: AsyncSession, indicator_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(DataValue.indicator_id == indicator_id))))


async def indicator_in_a_form(session: AsyncSession, indicator_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(ReportFormIndicator.indicator_id == indicator_id))))


# ---- report forms ------------------------------------------------------------------------------


async def form(session: AsyncSession, code: str) -> ReportForm:
    return await one_or_404(
        session, select(ReportForm).where(ReportForm.code == code), f"report form '{code}' not found"
    )


async def forms(session: AsyncSession) -> Sequence[ReportForm]:
    return (await session.scalars(select(ReportForm).order_by(ReportForm.code))).all()


async def form_member_codes(session: AsyncSession, form_id: int) -> tuple[list[str], list[str]]:
    """The codes of the form's indicators and of its departments, each sorted."""
    indicators = (
        select(Indicator.code)
        .join(ReportFormIndicator, ReportFormIndicator.indicator_id == Indicator.id)
        .where(ReportFormIndicator.form_id == form_id)
    )
    departments = (
        select(Department.code)
        .join(ReportFormDepartment, ReportFormDepartment.department_id == Department.id)
        .where(ReportFormDepartment.form_id == form_id)
    )
    return (
        list(await session.scalars(indicators.order_by(Indicator.code))),
        list(await session.scalars(departments.order_by(Department.code))),
    )


async def replace_form_indicators(session: AsyncSession, form_id: int, indicator_ids: Iterable[int]) -> None:
    await _replace_members(
        session,
        ReportFormIndicator,
        form_id,
        [ReportFormIndicator(form_id=form_id, indicator_id=i) for i in indicator_ids],
    )


async def replace_form_departments(session: AsyncSession, form_id: int, department_ids: Iterable[int]) -> None:
    members = [ReportFormDepartment(form_id=form_id, department_id=i) for i in department_ids]
    await _replace_members(session, ReportFormDepartment, form_id, members)


async def _replace_members(
    session: AsyncSession,
    table: type[ReportFormIndicator] | type[ReportFormDepartment],
    form_id: int,
    members: Sequence[ReportFormIndicator | ReportFormDepartment],
) -> None:
    await session.execute(delete(table).where(table.form_id == form_id))
    session.add_all(members)


async def delete_row(session: AsyncSession, row: object) -> None:
    await session.delete(row)
    await session.flush()
