"""DHIS2 ``/api/analytics``: aggregated values of data elements by period and org unit, in DHIS2's grid
(``headers``, ``metaData`` with ``items`` and ``dimensions``, ``rowContext``, ``rows``, ``height``,
``width``, ``headerWidth``).

Values are rolled up by ``datavalues.aggregation`` (each indicator's own aggregation type, finer periods
into coarser ones, never split into finer ones) per department, then combined per cell over the org
unit's subtree (``cells.py``). Only what the caller reads is answered: ``USER_ORGUNIT`` is the caller's
departments (the roots for city-wide callers), and naming an org unit outside them is refused (E7120).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.aggregation import repository as rollups
from services.reports.datavalues.dhis2.analytics import orgunits, repository
from services.reports.datavalues.dhis2.analytics.cells import Partial, PeriodKey, cell, format_value
from services.reports.datavalues.dhis2.analytics.periods import (
    RELATIVE,
    UNSUPPORTED,
    period_name,
    relative_name,
    relative_periods,
)
from services.reports.datavalues.dhis2.analytics.query import (
    DATA,
    DISPLAY_NAMES,
    ORG_UNIT,
    PERIOD,
    AnalyticsQuery,
    AnalyticsQueryError,
    Dimension,
)
from services.reports.datavalues.dhis2.ids import Identifiers, Kind, identifiers
from services.reports.datavalues.periods import RANK, Period, PeriodError, PeriodType, parse_period
from shared.identity import Caller
from shared.scoping import readable_departments

VALUE_HEADER = {
    "name": "value",
    "column": "Value",
    "valueType": "NUMBER",
    "type": "java.lang.Double",
    "hidden": False,
    "meta": False,
}


def _header(dimension: str) -> dict[str, Any]:
    return {
        "name": dimension,
        "column": DISPLAY_NAMES[dimension],
        "valueType": "TEXT",
        "type": "java.lang.String",
        "hidden": False,
        "meta": True,
    }


def _key(period: Period) -> PeriodKey:
    return (period.type.value, period.start)


def _periods(items: Iterable[str], day: date) -> tuple[list[Period], list[str]]:
    """The periods of a ``pe`` dimension, without duplicates, and the relative periods it named."""
    periods: list[Period] = []
    relative: list[str] = []
    for item in items:
        if item in RELATIVE:
            relative.append(item)
            periods.extend(relative_periods(item, day))
        elif item in UNSUPPORTED:
            raise AnalyticsQueryError("E7124", f"Relative period `{item}` is not supported by cityops analytics")
        else:
            try:
                periods.append(parse_period(item))
            except PeriodError as exc:
                raise AnalyticsQueryError("E7124", f"Invalid period `{item}`: {exc}") from None
    return list(dict.fromkeys(periods)), relative


async def _rolled_up(
    session: AsyncSession, elements: list[Any], units: list[int], periods: list[Period]
) -> dict[int, dict[int, dict[PeriodKey, Partial]]]:
    """indicator id → department id → period → partial, for every period asked for; one roll-up per
    period type, of the indicators reported at that type or finer."""
    out: dict[int, dict[int, dict[PeriodKey, Partial]]] = {}
    for ptype in {p.type for p in periods}:
        wanted = {_key(p) for p in periods if p.type is ptype}
        inds = [e for e in elements if RANK[PeriodType(e.period_type)] <= RANK[ptype]]
        if not inds or not units:
            continue
        rows = await rollups.rolled_up(
            session,
            indicator_ids=[e.id for e in inds],
            department_ids=units,
            period_type=ptype,
            first=min(p.start for p in periods if p.type is ptype),
            last=max(p.end for p in periods if p.type is ptype),
            by_department=True,
            two_pass=any(e.aggregation == "last" for e in inds),
        )
        for r in rows:
            key = (ptype.value, r.bucket)
            if r.value is not None and key in wanted:
                by_dep = out.setdefault(r.indicator_id, {}).setdefault(r.department_id, {})
                by_dep[key] = Partial(float(r.value), int(r.n))
    return out


async def analytics(*, session: AsyncSession, query: AnalyticsQuery, caller: Caller, today: date) -> dict[str, Any]:
    ids = await identifiers(session, schemes=query.input_schemes, kinds=("dataElement", "orgUnit"))
    out = await identifiers(session, schemes=query.output_schemes)
    tree = orgunits.OrgTree.of(await repository.org_units(session))
    readable_codes = readable_departments(caller)
    if readable_codes is None:
        readable: set[int] | None = None
        user_units = tree.roots()
    else:
        user_units = [tree.by_code[c] for c in sorted(readable_codes) if c in tree.by_code]
        readable = {u for top in user_units for u in tree.subtree(top)}

    dx = query.of(DATA)
    assert dx is not None  # parse_query requires it
    codes = [ids["dataElement"].code(item) for item in dx.items]
    found = {r.code: r for r in await repository.data_elements(session, codes)}
    elements = [found[c] for c in dict.fromkeys(codes) if c in found]
    if not elements:
        raise AnalyticsQueryError("E7124", "Dimension is present in query without any valid dimension options: `dx`")
    not_numeric = [ids["dataElement"].external(e.code) for e in elements if e.value_type == "text"]
    if not_numeric:
        raise AnalyticsQueryError(
            "E7115", f"Data elements must be of a value and aggregation type that allow aggregation: `{not_numeric}`"
        )

    pe = query.of(PERIOD)
    assert pe is not None
    periods, relative = _periods(pe.items, query.relative_period_date or today)

    ou = query.of(ORG_UNIT)
    if ou is None:  # no org unit asked for: everything the caller reads, as one
        ou = Dimension(ORG_UNIT, (), True)
        ou_items = orgunits.OrgUnitItems(user_units, [])
    else:
        ou_items = orgunits.resolve(ou.items, tree=tree, code_of=ids["orgUnit"].code, user_units=user_units)
    orgunits.check_readable(
        ou_items.units, readable, caller=caller.name, uid_of=lambda u: out["orgUnit"].external(tree.units[u].code)
    )

    subtrees = {u: tree.subtree(u) for u in ou_items.units}
    values = (
        {}
        if query.skip_data
        else await _rolled_up(session, elements, sorted({d for s in subtrees.values() for d in s}), periods)
    )

    axes: dict[str, list[tuple[str, list[Any]]]] = {
        DATA: [(out["dataElement"].external(e.code), [e]) for e in elements],
        PERIOD: [(p.dhis2, [_key(p)]) for p in periods],
        ORG_UNIT: [(out["orgUnit"].external(tree.units[u].code), subtrees[u]) for u in ou_items.units],
    }
    for f in (*query.filters, *([ou] if ou.filter else [])):
        members = [m for _, group in axes[f.id] for m in group]
        axes[f.id] = [("", list(dict.fromkeys(members)))]

    rows: list[list[str]] = []
    if not query.skip_data:
        order = [d.id for d in query.dimensions]
        rows = _rows(order, axes, values, query.skip_rounding)

    headers = [_header(d.id) for d in query.dimensions] + [VALUE_HEADER]
    body: dict[str, Any] = {
        "headers": headers,
        "metaData": {}
        if query.skip_meta
        else _meta(query, elements, periods, relative, ou_items, ou, tree, out, user_units),
        "rowContext": {},
        "rows": rows,
        "height": len(rows),
        "width": len(rows[0]) if rows else 0,
        "headerWidth": len(headers),
    }
    return body


def _rows(
    order: list[str],
    axes: dict[str, list[tuple[str, list[Any]]]],
    values: dict[int, dict[int, dict[PeriodKey, Partial]]],
    skip_rounding: bool,
) -> list[list[str]]:
    """Every combination of the dimensions' items that has a value, dx outermost."""
    combos: list[dict[str, tuple[str, list[Any]]]] = [{}]
    for dim in (DATA, PERIOD, ORG_UNIT):
        combos = [{**c, dim: item} for c in combos for item in axes[dim]]
    out: list[list[str]] = []
    for combo in combos:
        total: float | None = None
        for element in combo[DATA][1]:  # several data elements only as a filter: their values add up
            v = cell(element.aggregation, values.get(element.id, {}), combo[ORG_UNIT][1], combo[PERIOD][1])
            if v is not None:
                total = v if total is None else total + v
        if total is not None:
            out.append([*(combo[d][0] for d in order), format_value(total, skip_rounding=skip_rounding)])
    return out


def _meta(
    query: AnalyticsQuery,
    elements: list[Any],
    periods: list[Period],
    relative: list[str],
    ou_items: orgunits.OrgUnitItems,
    ou: Dimension,
    tree: orgunits.OrgTree,
    out: dict[Kind, Identifiers],
    user_units: list[int],
) -> dict[str, Any]:
    """``items`` (a name for every id in the answer) and ``dimensions`` (each dimension's items, in order),
    as DHIS2's ``MetadataHandler`` writes them."""
    de, ou_ids, coc = out["dataElement"], out["orgUnit"], out["categoryOptionCombo"]
    items: dict[str, Any] = {dim: {"name": DISPLAY_NAMES[dim]} for dim in (DATA, PERIOD, ORG_UNIT)}
    if not ou.items:  # no ou asked for: not part of the answer
        del items[ORG_UNIT]
    for e in elements:
        items[de.external(e.code)] = {"name": e.name}
        for combo, name in e.option_combos:
            items[coc.external(combo)] = {"name": name}
    for p in periods:
        items[p.dhis2] = {"name": period_name(p)}
    for name in relative:
        items[name] = {"name": relative_name(name)}
    for u in ou_items.units:
        unit = tree.units[u]
        items[ou_ids.external(unit.code)] = {"name": unit.name}
    for keyword in ou_items.keywords:
        units = tree.below(user_units, orgunits.USER_KEYWORDS.index(keyword))
        items[keyword] = {"organisationUnits": [ou_ids.external(tree.units[u].code) for u in units]}
    dimensions: dict[str, list[str]] = {
        DATA: [de.external(e.code) for e in elements],
        PERIOD: [p.dhis2 for p in periods],
        "co": list(dict.fromkeys(coc.external(c) for e in elements for c, _ in e.option_combos)),
    }
    if ou.items:
        dimensions[ORG_UNIT] = [ou_ids.external(tree.units[u].code) for u in ou_items.units]
    return {"items": items, "dimensions": dimensions}
