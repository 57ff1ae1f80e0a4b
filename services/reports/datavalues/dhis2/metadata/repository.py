"""The catalogue as DHIS2 metadata reads it: every department, indicator, form and category combo with
the UIDs of what they refer to (one query per table; the catalogue is hundreds of rows)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Level and path (``/<root uid>/.../<uid>``) from the parent links, as DHIS2 stores them.
_ORG_UNITS = text(
    """
    WITH RECURSIVE tree AS (
        SELECT id, 1 AS level, '/' || uid AS path FROM reports.department WHERE parent_id IS NULL
        UNION ALL
        SELECT d.id, t.level + 1, t.path || '/' || d.uid FROM reports.department d JOIN tree t ON d.parent_id = t.id
    )
    SELECT d.uid, d.code, d.name, d.kind, d.valid_from, d.valid_to, p.uid AS parent, t.level, t.path
    FROM reports.department d JOIN tree t ON t.id = d.id LEFT JOIN reports.department p ON p.id = d.parent_id
    ORDER BY d.id
    """
)
_DATA_ELEMENTS = text(
    """
    SELECT i.uid, i.code, i.name, i.description, i.value_type, i.aggregation, cc.uid AS category_combo
    FROM reports.indicator i JOIN reports.category_combo cc ON cc.id = i.category_combo_id ORDER BY i.id
    """
)
_DATA_SETS = text("SELECT uid, code, name, period_type, deadline_days FROM reports.report_form ORDER BY id")
_DATA_SET_ELEMENTS = text(
    """
    SELECT f.uid AS data_set, i.uid AS data_element
    FROM reports.report_form_indicator fi
    JOIN reports.report_form f ON f.id = fi.form_id JOIN reports.indicator i ON i.id = fi.indicator_id
    ORDER BY f.id, i.id
    """
)
_DATA_SET_ORG_UNITS = text(
    """
    SELECT f.uid AS data_set, d.uid AS org_unit
    FROM reports.report_form_department fd
    JOIN reports.report_form f ON f.id = fd.form_id JOIN reports.department d ON d.id = fd.department_id
    ORDER BY f.id, d.id
    """
)
_CATEGORY_COMBOS = text("SELECT id, uid, code, name FROM reports.category_combo ORDER BY id")
_CATEGORY_OPTION_COMBOS = text(
    """
    SELECT coc.id, coc.uid, coc.code, coc.name, cc.uid AS category_combo
    FROM reports.category_option_combo coc JOIN reports.category_combo cc ON cc.id = coc.category_combo_id
    ORDER BY coc.id
    """
)
QUERIES = {
    "organisationUnits": _ORG_UNITS,
    "dataElements": _DATA_ELEMENTS,
    "dataSets": _DATA_SETS,
    "dataSetElements": _DATA_SET_ELEMENTS,
    "dataSetOrganisationUnits": _DATA_SET_ORG_UNITS,
    "categoryCombos": _CATEGORY_COMBOS,
    "categoryOptionCombos": _CATEGORY_OPTION_COMBOS,
}


async def catalogue_rows(session: AsyncSession) -> dict[str, list[Any]]:
    """The rows of every query above, by name."""
    return {name: list(await session.execute(query)) for name, query in QUERIES.items()}
