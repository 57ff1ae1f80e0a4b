"""Catalogue lookups other features share: codes to ids, a department's subtree."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import InvalidInputError


async def subtree_ids(session: AsyncSession, codes: list[str]) -> list[int]:
    """Ids of the named departments and every department below them."""
    rows = await session.execute(
        text(
            "WITH RECURSIVE t AS (SELECT id FROM reports.department WHERE code = ANY(:codes) "
            "UNION SELECT d.id FROM reports.department d JOIN t ON d.parent_id = t.id) SELECT id FROM t"
        ),
        {"codes": codes},
    )
    return [r.id for r in rows]


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
