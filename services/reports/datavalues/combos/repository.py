"""SQL of the category combos."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def combo_exists(session: AsyncSession, codes: Sequence[str]) -> list[str]:
    """Those of ``codes`` already used by a category combo or an option combo."""
    rows = await session.execute(
        text(
            "SELECT code FROM reports.category_combo WHERE code = ANY(:c) "
            "UNION SELECT code FROM reports.category_option_combo WHERE code = ANY(:c)"
        ),
        {"c": list(codes)},
    )
    return sorted(r[0] for r in rows)


async def indicators(session: AsyncSession, codes: Sequence[str]) -> list[Any]:
    """``code, id, has_values`` of those of ``codes`` that exist."""
    rows = await session.execute(
        text(
            "SELECT i.code, i.id, "
            "EXISTS (SELECT 1 FROM reports.data_value v WHERE v.indicator_id = i.id) AS has_values "
            "FROM reports.indicator i WHERE i.code = ANY(:c)"
        ),
        {"c": list(codes)},
    )
    return list(rows)


async def insert_combo(
    session: AsyncSession, *, code: str, name: str, option_combos: Sequence[tuple[str, str, dict[str, str]]]
) -> int:
    combo_id: int = (
        await session.execute(
            text("INSERT INTO reports.category_combo (code, name) VALUES (:c, :n) RETURNING id"), {"c": code, "n": name}
        )
    ).scalar_one()
    for oc_code, oc_name, options in option_combos:
        await session.execute(
            text(
                "INSERT INTO reports.category_option_combo (code, name, category_combo_id, options) "
                "VALUES (:c, :n, :cc, CAST(:o AS jsonb))"
            ),
            {"c": oc_code, "n": oc_name, "cc": combo_id, "o": json.dumps(options)},
        )
    return combo_id


async def assign(session: AsyncSession, *, combo_id: int, indicator_ids: Sequence[int]) -> None:
    await session.execute(
        text("UPDATE reports.indicator SET category_combo_id = :cc WHERE id = ANY(:ids)"),
        {"cc": combo_id, "ids": list(indicator_ids)},
    )


async def combos(session: AsyncSession) -> list[Any]:
    """Every combo with its option combos and indicators, as rows of JSON arrays, default first."""
    rows = await session.execute(
        text(
            """
            SELECT c.code, c.uid, c.name,
                (SELECT coalesce(jsonb_agg(jsonb_build_object('code', o.code, 'uid', o.uid, 'name', o.name,
                    'options', o.options) ORDER BY o.id), '[]')
                 FROM reports.category_option_combo o WHERE o.category_combo_id = c.id) AS option_combos,
                (SELECT coalesce(jsonb_agg(i.code ORDER BY i.code), '[]')
                 FROM reports.indicator i WHERE i.category_combo_id = c.id) AS indicators
            FROM reports.category_combo c ORDER BY c.id
            """
        )
    )
    return list(rows)
