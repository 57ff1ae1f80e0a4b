"""SQL of DHIS2 analytics: the org unit tree and the data elements asked for (the values themselves are
rolled up by ``datavalues.aggregation.repository``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession


async def org_units(session: AsyncSession) -> Sequence[Row[Any]]:
    """Every department: id, code, name, parent_id (hundreds of rows: the tree is walked in Python)."""
    rows = await session.execute(text("SELECT id, code, name, parent_id FROM reports.department ORDER BY name, code"))
    return rows.all()


async def data_elements(session: AsyncSession, codes: Sequence[str]) -> Sequence[Row[Any]]:
    """Those of ``codes`` that exist: id, code, name, aggregation, period_type, value_type and the codes
    codes and names of their category option combos (``option_combos``: ``[[code, name], ...]``)."""
    rows = await session.execute(
        text(
            """
            SELECT i.id, i.code, i.name, i.aggregation, i.period_type, i.value_type,
                coalesce(json_agg(json_build_array(c.code, c.name) ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), '[]')
                    AS option_combos
            FROM reports.indicator i
            LEFT JOIN reports.category_option_combo c ON c.category_combo_id = i.category_combo_id
            WHERE i.code = ANY(:codes)
            GROUP BY i.id
            """
        ),
        {"codes": list(codes)},
    )
    return rows.all()
